"""Document numbers: a per-unit, per-kind, per-year sequence and the unit's number template.

The sequence row is created once (INSERT ... ON CONFLICT DO NOTHING) and incremented by one
`UPDATE ... RETURNING` in the transaction that stores the notice. On PostgreSQL the UPDATE holds the
row lock until that transaction ends, so concurrent issuers of one unit, kind and year take turns: a
number is never given twice, and since a rolled-back issue rolls its increment back too, never skipped.
SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import string
from typing import Any

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from vehicle_enforce.auth.models import County
from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.documents.models import KIND_WORDS, NoticeSequence
from vehicle_enforce.extensions import db

#: The city's own units (a notice of no county: the city level), and 泽州县's as the pattern of a county's:
#: name as printed and the short form at the head of its numbers (泽环 → 泽环劝〔2019〕1号).
CITY = "晋城市"
CITY_UNITS: dict[str, dict[str, str]] = {
    "environment": {"name": "晋城市生态环境局", "abbr": "晋环"},
    "police": {"name": "晋城市公安局交通警察支队", "abbr": "晋公交"},
    "transport": {"name": "晋城市交通运输局", "abbr": "晋交"},
    "housing": {"name": "晋城市住房和城乡建设局", "abbr": "晋住建"},
}
#: A county's units from its name (泽州县 → 晋城市生态环境局泽州分局, 泽州县交通运输局...; abbreviation: the
#: county's first character and the department's word, 泽环, 泽公交, 泽交, 泽住建).
COUNTY_UNITS: dict[str, tuple[str, str]] = {
    "environment": ("{city}生态环境局{short}分局", "环"),
    "police": ("{county}公安局交通警察大队", "公交"),
    "transport": ("{county}交通运输局", "交"),
    "housing": ("{county}住房和城乡建设局", "住建"),
}
DEFAULT_TEMPLATE = "{abbr}{word}〔{year}〕{seq}号"
_FIELDS = {"abbr", "word", "year", "seq"}


def unit_key(department: str, county: County | None) -> str:
    """The issuing unit of a department: its county's (`140525:environment`), or the city's (`environment`)."""
    return f"{county.code}:{department}" if county is not None else department


def department_of(key: str) -> str:
    return key.rsplit(":", 1)[-1]


def _county_default(department: str, county: County) -> dict[str, str]:
    name, word = COUNTY_UNITS[department]
    short = county.name[:-1] if len(county.name) > 2 and county.name[-1] in "县市区旗" else county.name[:1]
    return {"name": name.format(city=CITY, county=county.name, short=short), "abbr": f"{county.name[:1]}{word}"}


def unit(key: str, county: County | None = None) -> dict[str, str]:
    """The unit's printed name and number abbreviation: VE_DOCUMENT_UNITS[key] over the default (a county's
    units follow from its name; a department's plain key configures the city level's unit)."""
    configured: dict[str, Any] = current_app.config.get("DOCUMENT_UNITS") or {}
    department = department_of(key)
    if department not in COUNTY_UNITS:
        raise Invalid(f"没有 {department} 部门的出具单位", {"unit": f"{key} 不是出具单位"})
    default = _county_default(department, county) if county is not None else CITY_UNITS[department]
    found = {**default, **(configured.get(key) or {})}
    return {"name": str(found["name"]), "abbr": str(found["abbr"])}


def template(unit_key: str, kind: str) -> str:
    """The number template of a unit and kind: VE_DOCUMENT_NUMBER_TEMPLATES[unit][kind], else the
    department's entry (`environment`, for every county's environment unit), else the default."""
    configured: dict[str, Any] = current_app.config.get("DOCUMENT_NUMBER_TEMPLATES") or {}
    own = (configured.get(unit_key) or {}).get(kind)
    return str(own or (configured.get(department_of(unit_key)) or {}).get(kind) or DEFAULT_TEMPLATE)


def format_number(tmpl: str, *, abbr: str, kind: str, year: int, seq: int) -> str:
    """`{abbr}{word}〔{year}〕{seq}号` filled in; numbers are not zero-padded."""
    return tmpl.format(abbr=abbr, word=KIND_WORDS[kind], year=year, seq=seq)


def check_template(tmpl: str) -> None:
    """A template must name {seq} (else every number would be the same) and only the known fields."""
    names = {name for _, name, _, _ in string.Formatter().parse(tmpl) if name is not None}
    if "seq" not in names or not names <= _FIELDS:
        raise ValueError(f"number template {tmpl!r} must contain {{seq}} and only {sorted(_FIELDS)}")


def next_sequence(unit_key: str, kind: str, year: int) -> int:
    """Take the next number of (unit, kind, year) in the current transaction."""
    table = NoticeSequence.__table__
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(table).values(unit=unit_key, kind=kind, year=year, last_number=0).on_conflict_do_nothing()
    )
    taken = db.session.execute(
        update(table)
        .where(table.c.unit == unit_key, table.c.kind == kind, table.c.year == year)
        .values(last_number=table.c.last_number + 1)
        .returning(table.c.last_number)
    ).scalar_one()
    return int(taken)
