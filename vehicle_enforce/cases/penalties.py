"""Penalties within their legal basis: the bases are data (the rules' ``penalty_bases``), checked here.

A penalty names a basis (law and article); the basis says which department may impose it, the fixed
amount or range it allows and whether a warning is allowed. 行政处罚法 art. 36: a violation not
discovered within two years is not penalised any more.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from remote_sensing.rules import PenaltyBasis
from vehicle_enforce.auth.models import DEPARTMENT_NAMES_ZH, Department
from vehicle_enforce.cases import records
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Forbidden, Invalid
from vehicle_enforce.core.timeutil import format_local, local_day, now_utc
from vehicle_enforce.inspections import rules as inspection_rules

# The basis a vehicle case cites when the caller names none: driving a vehicle that failed emission
# checks (大气污染防治法 art. 113 refers to 道路交通安全法 art. 90).
DEFAULT_VEHICLE_BASIS = "rtsl_90"
LIMITATION_YEARS = 2  # 行政处罚法 第三十六条


def bases_in_force(subject: str, on: date | None = None) -> list[PenaltyBasis]:
    """The penalty bases for a subject (vehicle | machinery) in force on a day in this county."""
    day = on or local_day(now_utc())
    region = inspection_rules.region() or None
    rules = inspection_rules.rules_on(day)
    return [b for b in rules.penalty_bases if subject in b.applies_to and b.in_force(day, region)]


def find_basis(name: str, subject: str, on: date | None = None) -> PenaltyBasis:
    bases = bases_in_force(subject, on)
    for basis in bases:
        if basis.name == name:
            return basis
    known = "；".join(f"{b.name}（{b.citation}）" for b in bases)
    raise Invalid(
        f"处罚依据 {name} 不存在或不适用：可用的依据为 {known}", {"basis": f"可用：{', '.join(b.name for b in bases)}"}
    )


def two_years_before(at: datetime) -> datetime:
    try:
        return at.replace(year=at.year - LIMITATION_YEARS)
    except ValueError:  # 29 February
        return at.replace(year=at.year - LIMITATION_YEARS, day=28)


def check_limitation(earliest: datetime, opened_at: datetime) -> None:
    """行政处罚法 art. 36: refuse when the earliest evidence is more than two years before the case opened."""
    if earliest < two_years_before(opened_at):
        raise Invalid(
            f"违法行为在二年内未被发现，不再给予行政处罚（《中华人民共和国行政处罚法》第三十六条）："
            f"最早证据检测于 {format_local(earliest, '%Y-%m-%d')}，立案于 {format_local(opened_at, '%Y-%m-%d')}",
            {"basis": "超过二年追责期限，不得处罚"},
        )


def imposing_department(basis: PenaltyBasis, principal: Actor) -> str:
    if principal.department in basis.departments:
        return str(principal.department)
    return basis.departments[0]


def check_authority(basis: PenaltyBasis, principal: Actor) -> None:
    if principal.kind == "system" or principal.department == "admin":
        return
    if principal.department not in basis.departments:
        who = "、".join(f"{DEPARTMENT_NAMES_ZH[Department(d)]}部门" for d in basis.departments)
        raise Forbidden(
            f"{basis.citation} 的处罚由{who}作出，本部门无权处罚",
            {"basis": f"由{who}处罚"},
        )


def check_amount(basis: PenaltyBasis, amount: Decimal | float | None, warning: bool) -> None:
    value = None if amount is None else float(amount)
    if basis.allows(value, warning):
        return
    allowed = basis.allowed_text()
    if warning:
        raise Invalid(f"{basis.citation} 不允许只给予警告：允许{allowed}", {"warning": f"允许{allowed}"})
    if value is None:
        raise Invalid(f"须填写罚款金额：{basis.citation} 允许{allowed}", {"amount_yuan": f"必填，允许{allowed}"})
    raise Invalid(
        f"罚款金额 {value:g} 元超出处罚依据：{basis.citation} 允许{allowed}",
        {"amount_yuan": f"允许{allowed}"},
    )


def check_penalty(case: Any, fields: dict[str, Any], principal: Actor) -> PenaltyBasis:
    """The basis of a case's penalty, after every check (limitation, authority, amount), or a refusal."""

    check_limitation(records.earliest_evidence_at(case.entry), case.opened_at)
    basis = find_basis(str(fields.get("basis") or DEFAULT_VEHICLE_BASIS), "vehicle")
    check_authority(basis, principal)
    given = fields.get("legal_basis")
    if given and given.strip() != basis.citation:
        raise Invalid(
            "法律依据由所选处罚依据决定，不能另填",
            {"legal_basis": f"处罚依据 {basis.name} 的法律依据为 {basis.citation}"},
        )
    check_amount(basis, fields.get("amount_yuan"), bool(fields.get("warning")))
    return basis


def basis_json(basis: PenaltyBasis) -> dict[str, Any]:
    return {
        "name": basis.name,
        "citation": basis.citation,
        "offence": basis.offence,
        "departments": list(basis.departments),
        "applies_to": list(basis.applies_to),
        "warning": basis.warning,
        "fixed_yuan": basis.fixed_yuan,
        "min_yuan": basis.min_yuan,
        "max_yuan": basis.max_yuan,
        "allowed": basis.allowed_text(),
        "summary_procedure": basis.summary_procedure,
        "designated": basis.designated,
        "local": basis.local,
    }
