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

from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.documents.models import KIND_WORDS, NoticeSequence
from vehicle_enforce.extensions import db

#: The issuing units a county starts with (VE_DOCUMENT_UNITS overrides or adds): name as printed and the
#: short form at the head of its numbers (泽环 → 泽环劝〔2019〕1号).
DEFAULT_UNITS: dict[str, dict[str, str]] = {
    "environment": {"name": "晋城市生态环境局泽州分局", "abbr": "泽环"},
    "police": {"name": "泽州县公安局交通警察大队", "abbr": "泽公交"},
    "transport": {"name": "泽州县交通运输局", "abbr": "泽交"},
    "housing": {"name": "泽州县住房和城乡建设局", "abbr": "泽住建"},
}
DEFAULT_TEMPLATE = "{abbr}{word}〔{year}〕{seq}号"
_FIELDS = {"abbr", "word", "year", "seq"}


def unit(key: str) -> dict[str, str]:
    """The unit's printed name and number abbreviation (configured or the default)."""
    configured: dict[str, Any] = current_app.config.get("DOCUMENT_UNITS") or {}
    found = {**DEFAULT_UNITS.get(key, {}), **(configured.get(key) or {})}
    if "name" not in found or "abbr" not in found:
        raise Invalid(f"未配置出具单位 {key}（VE_DOCUMENT_UNITS）", {"unit": f"{key} 没有名称或简称"})
    return {"name": str(found["name"]), "abbr": str(found["abbr"])}


def template(unit_key: str, kind: str) -> str:
    """The number template of a unit and kind: VE_DOCUMENT_NUMBER_TEMPLATES[unit][kind] or the default."""
    configured: dict[str, Any] = current_app.config.get("DOCUMENT_NUMBER_TEMPLATES") or {}
    return str((configured.get(unit_key) or {}).get(kind) or DEFAULT_TEMPLATE)


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
