"""What each notice prints, read from the stored records: plain dicts, the same for the same records.

A notice's fingerprint is the SHA-256 of these facts: printing again while they are unchanged reprints
the stored PDF; once they change (a new repair deadline, the penalty decided) the next print issues a
new number and marks the old notice superseded.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from remote_sensing.rules import PenaltyBasis
from vehicle_enforce.auth.models import County
from vehicle_enforce.cases import penalties
from vehicle_enforce.cases import services as case_services
from vehicle_enforce.cases.models import CASE_STATE_ZH, Case, CaseAction
from vehicle_enforce.core.errors import Conflict
from vehicle_enforce.core.timeutil import format_local, local_day
from vehicle_enforce.documents import numbering
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import (
    ITEM_UNITS,
    ITEM_ZH,
    TEST_METHOD_ZH,
    VERDICT_ZH,
    RoadsideTest,
    Station,
    limit_set_zh,
)
from vehicle_enforce.nrmm import importer as nrmm_importer
from vehicle_enforce.nrmm.models import Machine, Site, SpotCheck
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH, Owner, Vehicle

TIME = "%Y-%m-%d %H:%M"  # every time printed: Beijing time, minutes


def when(value: datetime | None) -> str:
    return format_local(value, TIME) if value is not None else ""


def _number(value: Any) -> str:
    """A measured value as printed: at most three decimals, no trailing zeros (1.41, 0.7, 1.917)."""
    return f"{round(float(value), 3):g}"


#: Machine types as printed (the registry import's Chinese names, reversed).
MACHINE_TYPE_ZH = {code: name for name, code in nrmm_importer.TYPES.items()}


def unit_name(department: str, county: County | None) -> str:
    return numbering.unit(numbering.unit_key(department, county), county)["name"]


def basis_facts(name: str, subject: str, on: date, county: County | None) -> dict[str, Any] | None:
    """A penalty basis as printed: citation, offence, who imposes it (the unit's name) and the range."""
    found: PenaltyBasis | None = next(
        (b for b in penalties.bases_in_force(subject, on) if b.name == name), None
    ) or next((b for b in penalties.bases_in_force(subject) if b.name == name), None)
    if found is None:
        return None
    return {
        "name": found.name,
        "citation": found.citation,
        "offence": found.offence,
        "imposed_by": "、".join(unit_name(d, county) for d in found.departments),
        "allowed": found.allowed_text(),
    }


def _values(exceeded: list[dict[str, Any]], judged: dict[str, Any]) -> list[dict[str, Any]]:
    """Measured values against their limits: every exceeded item, then the other judged values."""
    rows = []
    seen = set()
    for e in exceeded:
        item = str(e.get("item"))
        unit = ITEM_UNITS.get(item, "")
        rows.append(
            {
                "item": ITEM_ZH.get(item, item),
                "value": f"{_number(e['value'])} {unit}".strip(),
                "limit": f"{_number(e['limit'])} {unit}".strip(),
                "exceeded": True,
            }
        )
        seen.add(item)
    for item, value in sorted(judged.items()):
        if item in seen or item.removesuffix("_mean") in seen or not isinstance(value, int | float):
            continue
        unit = ITEM_UNITS.get(item, "")
        rows.append(
            {
                "item": ITEM_ZH.get(item, item),
                "value": f"{_number(value)} {unit}".strip(),
                "limit": "—",
                "exceeded": False,
            }
        )
    return rows


def _plate_color(code: str | None) -> str:
    return PLATE_COLOR_ZH.get(code or "", code or "")


def _stations(kind: str) -> list[Station]:
    return list(db.session.scalars(select(Station).where(Station.kind == kind).order_by(Station.code)))


def _owner_name(vehicle: Vehicle | None) -> str | None:
    return vehicle.owner.name if vehicle is not None and vehicle.owner is not None else None


# --------------------------------------------------------------------------------------------------


def turn_back(test: RoadsideTest, county: County | None) -> dict[str, Any]:
    if not test.turn_back:
        raise Conflict(
            f"检测 {test.report_number} 未判定劝返，没有劝返通知书", {"turn_back": "该检测合格或无效，不需劝返"}
        )
    vehicle = db.session.get(Vehicle, test.vehicle_id) if test.vehicle_id else None
    owner = _owner_name(vehicle)
    repair_days = case_services.deadline_days()["repair_ordered"]
    inspection = [s.name for s in _stations("inspection")]
    return {
        "addressee": f"{owner}（车辆所有人）及驾驶人" if owner else "车辆所有人及驾驶人",
        "plate": test.plate,
        "plate_color_name": _plate_color(test.plate_color),
        "tested_at": when(test.tested_at),
        "station_name": test.station.name,
        "station_code": test.station.code,
        "location": test.location,
        "method_name": TEST_METHOD_ZH.get(test.method, test.method),
        "report_number": test.report_number,
        "limit_set_name": limit_set_zh(test.limit_set),
        "values": _values(test.exceeded, test.judged_values),
        "repair_by": (local_day(test.tested_at) + timedelta(days=repair_days)).isoformat(),
        "retest_where": "、".join(inspection) if inspection else "具备资质的机动车排放检验机构（I站）",
        "operator": test.operator,
        "basis": basis_facts(penalties.DEFAULT_VEHICLE_BASIS, "vehicle", local_day(test.tested_at), county),
    }


def _case_basis(case: Case, county: County | None) -> dict[str, Any] | None:
    name = case.penalty_basis or penalties.DEFAULT_VEHICLE_BASIS
    return basis_facts(name, "vehicle", local_day(case.opened_at), county)


def _last_action(case: Case, action: str) -> CaseAction | None:
    found = [a for a in case.actions if a.action == action]
    return found[-1] if found else None


def _case_common(case: Case, county: County | None) -> dict[str, Any]:
    vehicle = case.vehicle
    return {
        "case_id": case.id,
        "plate": vehicle.plate if vehicle else "",
        "plate_color_name": _plate_color(vehicle.plate_color if vehicle else None),
        "owner_name": _owner_name(vehicle),
        "evidence": case.entry.reason if case.entry is not None else "",
        "decision_number": case.decision_number,
        "basis": _case_basis(case, county),
    }


def repair_order(case: Case, county: County | None) -> dict[str, Any]:
    ordered = _last_action(case, "order_repair")
    if ordered is None or case.repair_due is None:
        raise Conflict(
            f"案件 {case.id} 尚未责令维修", {"kind": "交通运输部门下达维修通知（order_repair）后才有此通知书"}
        )
    common = _case_common(case, county)
    return {
        **common,
        "addressee": common["owner_name"] or "车辆所有人",
        "due_date": case.repair_due.isoformat(),
        "ordered_by": ordered.actor_name,
        "repair_stations": [{"code": s.code, "name": s.name, "location": s.location} for s in _stations("repair")],
    }


def penalty_sheet(case: Case, county: County | None) -> dict[str, Any]:
    if case.state == "detected":
        raise Conflict(f"案件 {case.id} 的证据尚未确认", {"kind": "生态环境部门确认证据后才有处罚参考单"})
    common = _case_common(case, county)
    penalty = "警告" if case.penalty_warning else (f"罚款 {_number(case.amount_yuan)} 元" if case.amount_yuan else "")
    return {
        **common,
        "addressee": unit_name("police", county),
        "confirmed_by": unit_name("environment", county),
        "state_name": CASE_STATE_ZH.get(case.state, case.state),
        "penalty_text": penalty,
    }


def release(case: Case, county: County | None) -> dict[str, Any]:
    test = case.retest
    if case.state != "closed_released" or test is None or test.verdict != "pass":
        raise Conflict(f"案件 {case.id} 尚未复检合格解除", {"kind": "复检合格结案后才有解除通知书"})
    common = _case_common(case, county)
    return {
        **common,
        "addressee": common["owner_name"] or "车辆所有人",
        "repaired_on": case.repaired_on.isoformat() if case.repaired_on else None,
        "retest_at": when(test.tested_at),
        "retest_station": test.station.name,
        "retest_report": test.report_number,
        "closed_at": when(case.closed_at),
        "values": _values(test.exceeded, test.judged_values),
    }


def spot_check_record(check: SpotCheck, county: County | None) -> dict[str, Any]:
    machine = db.session.get(Machine, check.machine_id) if check.machine_id else None
    site = db.session.get(Site, check.site_id) if check.site_id else None
    operator = db.session.get(Owner, machine.owner_id) if machine is not None and machine.owner_id else None
    exceeded = {str(e.get("item")): e for e in check.exceeded}
    rows = [
        {"item": f"光吸收系数 k 第{i}次", "value": f"{_number(k)} m⁻¹", "limit": "—", "exceeded": False, "single": True}
        for i, k in enumerate(check.k_readings, start=1)
    ]
    if check.k_readings:
        mean = sum(check.k_readings) / len(check.k_readings)
        k = exceeded.get("k")
        rows.append(
            {
                "item": "光吸收系数 k（平均）",
                "value": f"{_number(k['value'] if k else mean)} m⁻¹",
                "limit": f"{_number(k['limit'])} m⁻¹" if k else "—",
                "exceeded": k is not None,
            }
        )
    if check.ringelmann is not None:
        r = exceeded.get("ringelmann")
        rows.append(
            {
                "item": "林格曼黑度",
                "value": f"{check.ringelmann} 级",
                "limit": f"{_number(r['limit'])} 级" if r else "—",
                "exceeded": r is not None,
            }
        )
    suggested = None
    if check.legal_basis:
        amount = f"，罚款 {_number(check.penalty_yuan)} 元" if check.penalty_yuan else ""
        suggested = f"{check.legal_basis}{amount}（由法定部门依法作出）"
    return {
        "plate": None,
        "checked_at": when(check.checked_at),
        "site_name": site.name if site else "—",
        "site_location": site.location if site else None,
        "env_code": machine.env_code if machine else None,
        "pin": check.pin or (machine.pin if machine else None),
        "machine_type": MACHINE_TYPE_ZH.get(machine.machine_type, machine.machine_type) if machine else None,
        "brand_model": " ".join(x for x in (machine.brand, machine.model) if x) if machine else None,
        "stage": machine.emission_stage_name if machine else None,
        "rated_power_kw": machine.rated_power_kw if machine else None,
        "operator_name": operator.name if operator else None,
        "limit_set_name": limit_set_zh(check.limit_set),
        "values": rows,
        "verdict_name": VERDICT_ZH.get(check.verdict, check.verdict),
        "violations": "、".join(check.violations_zh),
        "suggested": suggested,
        "inspector": check.inspector,
        "officers": check.officers or [],
        "basis": basis_facts(check.penalty_basis or "apl_114_1", "machinery", local_day(check.checked_at), county),
    }
