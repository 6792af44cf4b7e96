"""The stored records a case step must name: an M站 repair, an I站 result or roadside test, a scrapping.

A reviewer (行政复议/诉讼) must be able to follow every step of a case to a record the sending station or
department stored: a case step that only types a number is not evidence. These functions find the
record for a case or refuse with a Chinese message naming the field and saying what to do.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, TypeVar

from sqlalchemy import select

from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.timeutil import SHANGHAI, format_local, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import Repair, RoadsideTest, Station
from vehicle_enforce.phaseout.models import PhaseoutAction
from vehicle_enforce.vehicles.models import Vehicle

# Only these tests can decide a retest: an I站 result or a roadside test (a spot check suggests only).
RETEST_KINDS = ("inspection", "roadside")
SCRAPPING_KINDS = ("scrapped", "deregistered")
MINUTE = "%Y-%m-%d %H:%M"
Record = TypeVar("Record", Repair, RoadsideTest)


def latest_evidence_at(entry: BlacklistEntry) -> datetime:
    """When the last evidence of the listing was measured (the listing time for a manual listing)."""
    times = [_parse(e.get("measured_at")) for e in entry.evidence or []]
    known = [t for t in times if t is not None]
    return max(known) if known else entry.listed_at


def earliest_evidence_at(entry: BlacklistEntry) -> datetime:
    """When the first evidence of the listing was measured (the listing time for a manual listing)."""
    times = [_parse(e.get("measured_at")) for e in entry.evidence or []]
    known = [t for t in times if t is not None]
    return min(known) if known else entry.listed_at


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _station_scope(principal: Actor) -> int | None:
    """A station token may name only its own station's records."""
    return principal.station_id if principal.department == "station" else None


def repair_problem(repair: Repair, entry: BlacklistEntry) -> str | None:
    """Why a stored repair cannot count for a case, or None."""
    if repair.withdrawal is not None:
        return f"维修记录 {repair.repair_number} 已撤回（{repair.withdrawal.reason}），不能登记"
    if repair.repaired_at > now_utc():
        return "维修日期在未来，不能登记"
    evidence_at = latest_evidence_at(entry)
    if repair.repaired_at < evidence_at:
        done, seen = format_local(repair.repaired_at, MINUTE), format_local(evidence_at, MINUTE)
        return f"维修时间 {done} 早于本案证据（{seen}），不是针对本案的维修"
    return None


def find_repair(vehicle_id: int, entry: BlacklistEntry, fields: dict[str, Any], principal: Actor) -> Repair:
    """The stored M站 repair the caller names (`repair_number`, optionally `repair_station`), or 422."""
    number = fields.get("repair_number") or fields.get("report_number")
    if not number:
        raise Invalid(
            "须填写M站上报的维修记录编号", {"repair_number": "必填：M站通过 POST /api/v1/repairs 上报的维修记录编号"}
        )
    repaired_on = fields.get("repaired_on")
    if repaired_on is not None and repaired_on > local_day(now_utc()):
        raise Invalid(
            "维修日期不能在未来",
            {"repaired_on": f"{repaired_on.isoformat()} 在未来（今天为北京时间 {local_day(now_utc()).isoformat()}）"},
        )
    stmt = (
        select(Repair)
        .join(Station, Station.id == Repair.station_id)
        .where(Repair.repair_number == str(number), Repair.vehicle_id == vehicle_id)
    )
    repair = _the_one(
        Repair,
        stmt,
        Repair.station_id,
        fields.get("repair_station"),
        principal,
        (
            f"没有该车辆编号为 {number} 的维修记录：须由M站先上报维修记录（POST /api/v1/repairs），再登记维修",
            {"repair_number": "没有该车辆的这份维修记录"},
        ),
        ("多个M站有此编号的维修记录，请注明维修企业", {"repair_station": "必填：维修企业（M站）编号"}),
    )
    if repaired_on is not None and repaired_on != local_day(repair.repaired_at):
        raise Invalid(
            "维修日期与M站上报的维修记录不一致",
            {"repaired_on": f"M站记录的维修日期为 {local_day(repair.repaired_at).isoformat()}"},
        )
    problem = repair_problem(repair, entry)
    if problem:
        raise Invalid(problem, {"repair_number": problem})
    return repair


def _the_one(
    model: type[Record],
    stmt: Any,
    station_id: Any,
    station_code: Any,
    principal: Actor,
    missing: tuple[str, dict[str, str]],
    many: tuple[str, dict[str, str]],
) -> Record:
    """The single `model` record `stmt` finds, narrowed to the named station and the caller's own station;
    a clear refusal when there is none or more than one."""
    if station_code:
        stmt = stmt.where(Station.code == station_code)
    scope = _station_scope(principal)
    if scope is not None:
        stmt = stmt.where(station_id == scope)
    found: list[Record] = list(db.session.scalars(stmt))
    if not found:
        raise Invalid(*missing)
    if len(found) > 1:
        raise Invalid(*many)
    return found[0]


def repair_time(case: Any) -> datetime | None:
    """When the case's repair was done: the M站 record's time, else the start of the day recorded."""
    if case.repair_id is not None:
        repair = db.session.get(Repair, case.repair_id)
        if repair is not None:
            return repair.repaired_at
    if case.repaired_on is not None:
        return datetime.combine(case.repaired_on, time.min, tzinfo=SHANGHAI)
    return None


def retest_problem(test: RoadsideTest, case: Any) -> str | None:
    """Why a stored test cannot decide this case's retest, or None."""
    if test.kind not in RETEST_KINDS:
        return "只有I站检测结果或路检可以作为复检结果（入户抽测不能）"
    if test.verdict == "invalid":
        return f"报告 {test.report_number} 的检测无效，不能作为复检结果，须重新检测"
    if test.withdrawal is not None:
        return f"报告 {test.report_number} 已撤回（{test.withdrawal.reason}），不能作为复检结果，须重新检测"
    if test.match_decision == "probable":
        return f"报告 {test.report_number} 的号牌为近似匹配（可能误识别），须先在号牌人工核对中确认"
    repaired_at = repair_time(case)
    if repaired_at is not None and test.tested_at <= repaired_at:
        tested, repaired = format_local(test.tested_at, MINUTE), format_local(repaired_at, MINUTE)
        return f"报告 {test.report_number} 的检测时间 {tested} 不晚于维修时间 {repaired}"
    return None


def find_retest(case: Any, fields: dict[str, Any], principal: Actor) -> RoadsideTest:
    """The stored I站 result or roadside test the caller names (`report_number`, optionally `station`)."""
    number = fields.get("report_number")
    if not number:
        raise Invalid("须填写检测站上报的复检报告编号", {"report_number": "必填：I站检测结果或路检的报告编号"})
    stmt = (
        select(RoadsideTest)
        .join(Station, Station.id == RoadsideTest.station_id)
        .where(
            RoadsideTest.report_number == str(number),
            RoadsideTest.vehicle_id == case.vehicle_id,
            RoadsideTest.kind.in_(RETEST_KINDS),
        )
    )
    test = _the_one(
        RoadsideTest,
        stmt,
        RoadsideTest.station_id,
        fields.get("station"),
        principal,
        (
            f"没有该车辆报告编号为 {number} 的I站检测结果或路检记录：须由检测站先上报，再登记复检",
            {"report_number": "没有该车辆的这份I站检测结果或路检记录"},
        ),
        ("多个检测站有此编号的报告，请注明检测站", {"station": "必填：检测站编号"}),
    )
    problem = retest_problem(test, case)
    if problem:
        raise Invalid(problem, {"report_number": problem})
    passed = fields.get("passed")
    if passed is not None and bool(passed) != (test.verdict == "pass"):
        raise Invalid(
            "所填复检结论与检测站上报的结果不一致",
            {"passed": f"报告 {test.report_number} 的结论为{'合格' if test.verdict == 'pass' else '不合格'}"},
        )
    return test


def scrapping_record(vehicle_id: int) -> dict[str, Any] | None:
    """The recorded scrapping or deregistration of a vehicle (phase-out action or registry status)."""

    action = db.session.scalar(
        select(PhaseoutAction).where(PhaseoutAction.vehicle_id == vehicle_id, PhaseoutAction.kind.in_(SCRAPPING_KINDS))
    )
    if action is not None:
        return {
            "source": "phaseout_action",
            "phaseout_action_id": action.id,
            "kind": action.kind,
            "action_date": action.action_date.isoformat(),
            "certificate_no": action.certificate_no,
        }
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is not None and vehicle.status in SCRAPPING_KINDS:
        return {"source": "registry", "kind": vehicle.status}
    return None


def test_summary(test: RoadsideTest) -> dict[str, Any]:
    return {
        "id": test.id,
        "kind": test.kind,
        "station": test.station.code,
        "report_number": test.report_number,
        "tested_at": test.tested_at.isoformat(),
        "verdict": test.verdict,
    }
