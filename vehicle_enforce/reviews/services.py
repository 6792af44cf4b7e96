"""Deciding match reviews, and what a decision changes (flush, never commit).

A person confirms the vehicle, corrects the plate, or unlinks the record. Then:

* the record's link changes (audited through `vehicles.services.confirm_match` for a chosen vehicle);
* the listing rule runs again for the vehicle the record now names (a confirmed pending pass can list);
* a vehicle the record no longer names loses it as evidence: a listing whose case is still `detected`
  is released (history kept; the release is on the change feed, so police systems learn it) and the
  vehicle's remaining observations are counted again; a case at `confirmed` or later keeps its listing
  and gets an evidence-withdrawn task for environment and police (a penalty may need revoking);
* a near match confirmed for the same vehicle turns its listing's `evidence_match` from `probable` to
  `confirmed`, so the case can be confirmed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from plates import normalize_plate, parse_color, validate_plate
from plates.strict import typed_plate_problem
from vehicle_enforce import signals
from vehicle_enforce.alerts.models import GateRecord
from vehicle_enforce.auth.models import Department
from vehicle_enforce.blacklist import services as blacklist_services
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.cases import services as case_services
from vehicle_enforce.cases.models import CASE_STATE_ZH, Case, CaseState
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.timeutil import format_local, now_utc, to_local
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import (
    BlackSmokeCapture,
    EvidenceLink,
    PlateStatus,
    RemoteSensingPass,
    Repair,
    ReviewStatus,
    RoadsideTest,
    Station,
)
from vehicle_enforce.reviews.models import EvidenceTask, MatchReview, RecordKind, ReviewAction, ReviewState
from vehicle_enforce.reviews.schemas import DecisionIn, ReviewQuery
from vehicle_enforce.signals import VerdictEvent
from vehicle_enforce.vehicles import services as vehicle_services
from vehicle_enforce.vehicles.models import Vehicle

MODELS: dict[str, type[Any]] = {
    RecordKind.remote_sensing_pass: RemoteSensingPass,
    RecordKind.roadside_test: RoadsideTest,
    RecordKind.black_smoke_capture: BlackSmokeCapture,
    RecordKind.repair: Repair,
    RecordKind.gate_record: GateRecord,
}
KIND_ZH: dict[str, str] = {
    RecordKind.remote_sensing_pass: "遥感检测",
    RecordKind.roadside_test: "路检/抽测/I站检测",
    RecordKind.black_smoke_capture: "黑烟抓拍",
    RecordKind.repair: "M站维修记录",
    RecordKind.gate_record: "预警期间企业闸口记录",
}
TEST_KIND_ZH = {"roadside": "路检", "spot_check": "入户抽测", "inspection": "I站检测"}
DECISION_ZH = {"pending": "号牌未识别或置信度低", "ambiguous": "多辆车相近", "probable": "近似匹配（可能误识别）"}
ACTION_ZH = {"confirm": "确认车辆", "correct": "更正号牌", "unlink": "解除关联", "reread": "自动重新识别"}
TASK_DEPARTMENTS = ["environment", "police"]


def occurred_at(record: RemoteSensingPass | RoadsideTest | BlackSmokeCapture | GateRecord | Repair) -> datetime:
    if isinstance(record, RemoteSensingPass):
        return record.measured_at
    if isinstance(record, RoadsideTest):
        return record.tested_at
    if isinstance(record, BlackSmokeCapture):
        return record.captured_at
    if isinstance(record, GateRecord):
        return record.at
    return record.repaired_at


def evidence_source(kind: str, record: Any) -> str | None:
    """The `source` the listing rule writes into an entry's evidence for this record."""
    if kind == RecordKind.remote_sensing_pass:
        return "remote_sensing"
    if kind == RecordKind.black_smoke_capture:
        return "black_smoke"
    if kind == RecordKind.roadside_test:
        test: RoadsideTest = record
        return test.kind
    return None


def _verdict_event(kind: str, record: Any, vehicle_id: int) -> VerdictEvent | None:
    """The verdict this record hands the listing rule once linked to `vehicle_id` (None: it counts for nothing)."""
    if kind == RecordKind.remote_sensing_pass:
        return VerdictEvent(
            "remote_sensing", record.id, vehicle_id, record.measured_at, record.verdict, record.verdict != "invalid"
        )
    if kind == RecordKind.roadside_test:
        return VerdictEvent(
            record.kind, record.id, vehicle_id, record.tested_at, record.verdict, record.verdict != "invalid"
        )
    if kind == RecordKind.black_smoke_capture and record.review_status == ReviewStatus.confirmed.value:
        return VerdictEvent("black_smoke", record.id, vehicle_id, record.captured_at, record.verdict, True)
    return None


# --------------------------------------------------------------------------------------------------
# Listing


def _visible(actor: Actor) -> Select[Any]:
    """The reviews `actor` may see: a station sees only its own records."""
    stmt = select(MatchReview)
    if actor.department == Department.station:
        stmt = stmt.where(MatchReview.station_id == (actor.station_id or -1))
    return stmt


def reviews_query(query: ReviewQuery, *, actor: Actor) -> Select[Any]:
    """Reviews filtered by state, record kind and station code, as `actor` may see them."""
    stmt = _visible(actor)
    if query.state:
        stmt = stmt.where(MatchReview.state == query.state)
    if query.kind:
        stmt = stmt.where(MatchReview.record_kind == query.kind)
    if query.station:
        stmt = stmt.where(MatchReview.station_id.in_(select(Station.id).where(Station.code == query.station)))
    return stmt


def get_review(review_id: int, *, actor: Actor) -> MatchReview:
    found: MatchReview | None = db.session.scalar(_visible(actor).where(MatchReview.id == review_id))
    if found is None:
        raise NotFound(f"no match review {review_id}")
    return found


def photos(kind: str, record_id: int) -> list[dict[str, Any]]:
    links = db.session.scalars(
        select(EvidenceLink)
        .where(EvidenceLink.object_type == kind, EvidenceLink.object_id == record_id)
        .order_by(EvidenceLink.name)
    ).all()
    return [
        {
            "name": link.name,
            "sha256": link.file.sha256,
            "media_type": link.file.media_type,
            "url": f"/api/v1/evidence/{link.file.sha256}",
        }
        for link in links
    ]


def review_json(review: MatchReview, *, with_photos: bool = True) -> dict[str, Any]:
    station = db.session.get(Station, review.station_id) if review.station_id else None
    record = db.session.get(MODELS[review.record_kind], review.record_id)
    data: dict[str, Any] = {
        "id": review.id,
        "record_kind": review.record_kind,
        "record_id": review.record_id,
        "record_kind_zh": TEST_KIND_ZH.get(getattr(record, "kind", ""), KIND_ZH.get(review.record_kind))
        if review.record_kind == RecordKind.roadside_test
        else KIND_ZH.get(review.record_kind),
        "station": station.code if station else None,
        "station_name": station.name if station else None,
        "occurred_at": to_local(review.occurred_at).isoformat(),
        "verdict": review.verdict,
        "plate": review.plate,
        "plate_color": review.plate_color,
        "confidence": review.confidence,
        "match_decision": review.match_decision,
        "match_decision_zh": DECISION_ZH.get(review.match_decision, review.match_decision),
        "vehicle_id": review.vehicle_id,
        "candidates": review.candidates,
        "state": review.state,
        "decision": None,
        "record": {
            "vehicle_id": record.vehicle_id if record is not None else None,
            "match_decision": record.match_decision if record is not None else None,
            "plate": record.plate if record is not None else None,
            "plate_color": record.plate_color if record is not None else None,
        },
        "created_at": to_local(review.created_at).isoformat(),
    }
    if review.state == ReviewState.done:
        data["decision"] = {
            "action": review.action,
            "action_zh": ACTION_ZH.get(review.action or "", review.action),
            "vehicle_id": review.decided_vehicle_id,
            "plate": review.decided_plate,
            "plate_color": review.decided_plate_color,
            "reason": review.reason,
            "by": review.decided_by,
            "department": review.decided_department,
            "at": to_local(review.decided_at).isoformat() if review.decided_at else None,
        }
    if with_photos:
        data["photos"] = photos(review.record_kind, review.record_id)
    return data


def open_reviews_query() -> Select[MatchReview]:
    """The reviews waiting for a decision: the review page's list and every count of it."""
    return select(MatchReview).where(MatchReview.state == "open")


def open_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(open_reviews_query().subquery())) or 0)


# --------------------------------------------------------------------------------------------------
# Deciding


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Invalid("a reason is required", {"reason": "请说明理由（例如：已核对抓拍照片）"})
    return text


def _same_decision(
    review: MatchReview, action: str, vehicle_id: int | None, plate: str | None, colour: str | None
) -> bool:
    if review.action != action:
        return False
    if action == ReviewAction.confirm:
        return review.decided_vehicle_id == vehicle_id
    if action == ReviewAction.correct:
        return (review.decided_plate, review.decided_plate_color) == (plate, colour)
    return True


def _corrected_plate(plate: str | None, plate_color: str | None) -> tuple[str, str]:
    errors: dict[str, str] = {}
    problem = typed_plate_problem(plate)
    if problem is not None:
        raise Invalid("the corrected plate is not a valid plate", {"plate": problem})
    normal = normalize_plate(plate or "")
    try:
        colour = parse_color(plate_color).value if plate_color else ""
    except ValueError:
        colour = ""
    if not colour or colour == "unknown":
        errors["plate_color"] = "请选择号牌颜色（蓝、黄、绿、黄绿、白、黑）"
    if not normal:
        errors["plate"] = "请填写号牌号码"
    elif colour and colour != "unknown":
        check = validate_plate(normal, colour)
        if not check.ok:
            errors["plate"] = f"号牌不合规：{check.reason_zh}"
    if errors:
        raise Invalid("the corrected plate is not a valid plate", errors)
    return normal, colour


def decide(review_id: int, data: DecisionIn, *, actor: Actor) -> MatchReview:
    """Apply a person's decision to a review and its record; a retried identical decision changes nothing."""

    action, reason, vehicle_id = data.action, data.reason, data.vehicle_id
    plate, plate_color = data.plate, data.plate_color
    try:
        chosen = ReviewAction(action)
    except ValueError:
        chosen = None
    if chosen is None or chosen == ReviewAction.reread:
        raise Invalid(f"unknown action '{action}'", {"action": "confirm、correct 或 unlink"})
    why = _reason(reason)
    if chosen == ReviewAction.confirm and vehicle_id is None:
        raise Invalid("confirm needs the vehicle", {"vehicle_id": "请指明车辆"})
    if chosen == ReviewAction.confirm and db.session.get(Vehicle, vehicle_id) is None:
        raise Invalid(f"no vehicle {vehicle_id}", {"vehicle_id": f"没有编号为 {vehicle_id} 的登记车辆"})
    if chosen == ReviewAction.correct:
        plate, plate_color = _corrected_plate(plate, plate_color)
    lock = db.session.get_bind().dialect.name == "postgresql"
    review = db.session.get(MatchReview, review_id, with_for_update=lock)
    if review is None:
        raise NotFound(f"no match review {review_id}")
    if review.state == ReviewState.done and _same_decision(review, chosen, vehicle_id, plate, plate_color):
        return review  # a retried decision changes nothing
    # A decided review may be decided again (a person finds the first decision wrong): the record's
    # current link is what the new decision changes, and both decisions stay in the audit log.
    model = MODELS[review.record_kind]
    record = db.session.get(model, review.record_id, with_for_update=lock)
    if record is None:
        raise NotFound(f"the {review.record_kind} {review.record_id} of this review no longer exists")
    old_vehicle: int | None = record.vehicle_id
    before = {"plate": record.plate, "plate_color": record.plate_color, "vehicle_id": old_vehicle}
    new_vehicle: int | None
    if chosen == ReviewAction.confirm:
        assert vehicle_id is not None
        vehicle = vehicle_services.confirm_match(review.record_kind, record.id, vehicle_id, why, actor=actor)
        new_vehicle, decision = vehicle.id, "confirmed"
    elif chosen == ReviewAction.correct:
        assert plate is not None and plate_color is not None
        record.plate, record.plate_color = plate, plate_color
        found = db.session.scalar(select(Vehicle).where(Vehicle.plate == plate, Vehicle.plate_color == plate_color))
        if found is not None:
            vehicle_services.confirm_match(review.record_kind, record.id, found.id, why, actor=actor)
            new_vehicle, decision = found.id, "confirmed"
        else:
            new_vehicle, decision = None, "none"
    else:
        new_vehicle, decision = None, "unlinked"
    record.vehicle_id = new_vehicle
    record.match_decision = decision
    if isinstance(record, RemoteSensingPass):
        record.plate_status = PlateStatus.matched.value if new_vehicle is not None else PlateStatus.unregistered.value
    review.state = ReviewState.done.value
    review.action = chosen.value
    review.decided_vehicle_id = new_vehicle
    review.decided_plate = plate if chosen == ReviewAction.correct else None
    review.decided_plate_color = plate_color if chosen == ReviewAction.correct else None
    review.reason = why
    review.decided_by = actor.name
    review.decided_department = actor.department
    review.decided_at = now_utc()
    db.session.flush()
    audit.record(
        f"match_review.{chosen.value}",
        review.record_kind,
        record.id,
        {
            "review_id": review.id,
            "before": before,
            "after": {"plate": record.plate, "plate_color": record.plate_color, "vehicle_id": new_vehicle},
            "match_decision": decision,
            "reason": why,
        },
        actor=actor,
    )
    if old_vehicle is not None and old_vehicle != new_vehicle:
        withdraw(old_vehicle, review.record_kind, record, why, actor=actor)
    if new_vehicle is not None:
        # The listing rule (and the release by a passing retest) for the vehicle the record now names;
        # it recounts from what is stored, so a record it has already counted changes nothing.
        event = _verdict_event(review.record_kind, record, new_vehicle)
        if event is not None:
            signals.send_verdicts("reviews", [event])
    if new_vehicle is not None and new_vehicle == old_vehicle:
        _evidence_confirmed(new_vehicle, review.record_kind, record, actor=actor)
    return review


def _entries_resting_on(vehicle_id: int, source: str, record_id: int) -> list[BlacklistEntry]:
    entries = db.session.scalars(
        select(BlacklistEntry).where(BlacklistEntry.vehicle_id == vehicle_id).order_by(BlacklistEntry.id)
    ).all()
    return [
        e
        for e in entries
        if any(item.get("source") == source and item.get("record_id") == record_id for item in e.evidence or [])
    ]


def _record_of_evidence(item: dict[str, Any]) -> tuple[str, int] | None:
    source, record_id = item.get("source"), item.get("record_id")
    if not isinstance(record_id, int):
        return None
    if source == "remote_sensing":
        return RecordKind.remote_sensing_pass.value, record_id
    if source == "black_smoke":
        return RecordKind.black_smoke_capture.value, record_id
    if source in ("roadside", "spot_check", "inspection"):
        return RecordKind.roadside_test.value, record_id
    return None


def _evidence_confirmed(vehicle_id: int, kind: str, record: Any, *, actor: Actor) -> None:
    """A person confirmed a near match for the vehicle it already named: its listings may stop being probable."""
    source = evidence_source(kind, record)
    if source is None:
        return
    for entry in _entries_resting_on(vehicle_id, source, record.id):
        if entry.evidence_match != "probable":
            continue
        still_probable = False
        for item in entry.evidence:
            ref = _record_of_evidence(item)
            if ref is None:
                continue
            other = db.session.get(MODELS[ref[0]], ref[1])
            if other is not None and other.match_decision == "probable":
                still_probable = True
        if not still_probable:
            entry.evidence_match = "confirmed"
            db.session.flush()
            audit.record(
                "blacklist.evidence_confirmed",
                "blacklist_entry",
                entry.id,
                {"evidence_match": ["probable", "confirmed"], "record": [kind, record.id]},
                actor=actor,
            )


def withdraw(vehicle_id: int, kind: str, record: Any, reason: str, *, actor: Actor) -> None:
    """`record` no longer names `vehicle_id`: deal with every listing and case that rested on it."""

    source = evidence_source(kind, record)
    what = f"{KIND_ZH.get(kind, kind)}记录 {record.id}（{format_local(occurred_at(record), '%Y-%m-%d %H:%M')}）"
    cases: list[tuple[Case, BlacklistEntry | None]] = []
    if source is not None:
        for entry in _entries_resting_on(vehicle_id, source, record.id):
            case = db.session.scalar(select(Case).where(Case.entry_id == entry.id))
            if entry.status == "active" and (case is None or case.state == CaseState.detected):
                text = f"证据撤回：{what}的号牌经人工核对不属于本车（{reason}）"
                blacklist_services.release(entry, "withdrawn", text, actor=actor)
                case_services.close_for_release(
                    entry,
                    "evidence_withdrawn",
                    {"record_kind": kind, "record_id": record.id, "reason": reason},
                    actor=actor,
                )
                _count_again(vehicle_id, entry, source, record.id)
            elif case is not None:
                cases.append((case, entry))
    # A case step that names the record (the I站/roadside retest, the M站 repair) no longer names the vehicle.
    step = {RecordKind.roadside_test: Case.retest_id, RecordKind.repair: Case.repair_id}.get(RecordKind(kind))
    if step is not None:
        named = db.session.scalars(select(Case).where(Case.vehicle_id == vehicle_id, step == record.id)).all()
        cases.extend((case, None) for case in named if all(case.id != c.id for c, _ in cases))
    for case, listing in cases:
        message = (
            f"案件 {case.id}（{_plate(case)}，当前状态：{CASE_STATE_ZH.get(case.state, case.state)}）"
            f"所依据的{what}已撤回：{reason}。请环保与交警核查，必要时撤销处罚。"
        )
        open_task(case, listing, kind, record.id, message, reason, actor=actor)


def _plate(case: Case) -> str:
    return case.vehicle.plate if case.vehicle is not None else str(case.vehicle_id)


def _count_again(vehicle_id: int, released: BlacklistEntry, source: str, record_id: int) -> None:
    """Run the listing rule on the released listing's other evidence: it may still list the vehicle."""
    events = []
    for item in released.evidence:
        if item.get("source") == source and item.get("record_id") == record_id:
            continue
        if item.get("source") is None or not isinstance(item.get("record_id"), int):
            continue
        try:
            at = datetime.fromisoformat(str(item.get("measured_at")))
        except ValueError:
            continue
        verdict = "fail" if item.get("source") in ("roadside", "spot_check") else "exceed"
        events.append(VerdictEvent(item["source"], item["record_id"], vehicle_id, at, verdict, True))
    signals.send_verdicts("reviews", events)


def open_task(
    case: Case,
    entry: BlacklistEntry | None,
    kind: str,
    record_id: int,
    message: str,
    reason: str,
    *,
    actor: Actor,
    action_reason: str | None = None,
) -> EvidenceTask:
    """An evidence-withdrawn task for environment and police; nothing is released or closed by it.

    The single entry point for withdrawn evidence of a case past `detected` (match-review unlinks and
    device withdrawals): the task row the inboxes list, plus the case action and notices, once per
    (case, record). `action_reason` is the case action's text (default: the plate was not this vehicle's)."""
    existing = db.session.scalar(
        select(EvidenceTask).where(
            EvidenceTask.case_id == case.id,
            EvidenceTask.record_kind == kind,
            EvidenceTask.record_id == record_id,
            EvidenceTask.state == "open",
        )
    )
    if existing is not None:
        return existing
    task = EvidenceTask(
        kind="evidence_withdrawn",
        case_id=case.id,
        entry_id=entry.id if entry is not None else case.entry_id,
        record_kind=kind,
        record_id=record_id,
        departments=list(TASK_DEPARTMENTS),
        state="open",
        message=message,
        details={"case_state": case.state, "reason": reason, "penalty_decision": case.decision_number},
    )
    db.session.add(task)
    db.session.flush()
    audit.record(
        "evidence_task.open", "evidence_task", task.id, {"case_id": case.id, "record": [kind, record_id]}, actor=actor
    )
    # The shared step for withdrawn evidence (issue 25): a case action on the change feed and a notice to
    # environment and police. The task row is what their inboxes list until it is dealt with.

    what = action_reason or f"{KIND_ZH.get(kind, kind)}记录 {record_id} 的号牌经人工核对不属于本车（{reason}）"
    case_services.open_evidence_withdrawn_task(case, what, actor=actor)
    return task


def task_json(task: EvidenceTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "kind": task.kind,
        "case_id": task.case_id,
        "entry_id": task.entry_id,
        "record_kind": task.record_kind,
        "record_id": task.record_id,
        "departments": task.departments,
        "state": task.state,
        "message": task.message,
        "details": task.details,
        "created_at": to_local(task.created_at).isoformat(),
    }


def open_tasks(department: str) -> list[EvidenceTask]:
    rows = db.session.scalars(select(EvidenceTask).where(EvidenceTask.state == "open").order_by(EvidenceTask.id))
    return [t for t in rows if department == "admin" or department in (t.departments or [])]


def inbox_sections(department: str) -> dict[str, Any]:
    data: dict[str, Any] = {"evidence_tasks": [task_json(t) for t in open_tasks(department)]}
    if department in ("environment", "admin"):
        data["match_reviews_open"] = open_count()
    return data
