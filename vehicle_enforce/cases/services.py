"""The case state machine: who may move a case, from which state, with which fields (flush, never commit).

Each transition is allowed only to its department (403 otherwise), checked against the current state
(409 otherwise), audited, announced on the change feed, and sets the deadline of the next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select

from vehicle_enforce import signals
from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Township
from vehicle_enforce.blacklist import services as blacklist_services
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.cases import penalties, procedure, records, workdays
from vehicle_enforce.cases.models import OPEN_STATES, WAITING_FOR, Case, CaseAction, CaseState
from vehicle_enforce.cases.notify import notify
from vehicle_enforce.cases.schemas import ActionIn, ActionOut, CaseOut
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import SYSTEM, Actor
from vehicle_enforce.core.errors import Conflict, Forbidden, Invalid, NotFound
from vehicle_enforce.core.timeutil import SHANGHAI, format_local, local_day, now_utc
from vehicle_enforce.documents.models import IssuedNotice
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import Repair, RoadsideTest, Station
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH, Vehicle

S = CaseState
# Days each waiting step may take before the case is overdue (configurable as CASE_DEADLINE_DAYS).
DEFAULT_DEADLINE_DAYS = {"detected": 3, "confirmed": 10, "penalized": 5, "repair_ordered": 15, "repaired": 10}
# Which department the case waits for in each open state (the inbox and overdue lists use it).


@dataclass(frozen=True)
class Transition:
    departments: frozenset[str]
    station_kinds: frozenset[str]  # station tokens of these kinds may act too
    sources: frozenset[str]
    target: str | None  # None: decided by the fields (retest) or, for a procedure step, the state stays


# Steps of the penalty procedure that record a document, its service or the owner's answer: the case
# stays in its state (the department that would impose the penalty acts; the basis decides which).
PENALTY_DEPARTMENTS = frozenset({"police", "environment", "transport"})
PROCEDURE_STEPS = frozenset({"prior_notice", "record_answer", "serve"})
# The steps that are acts of administrative enforcement (行政处罚法 第四十二条: 执法人员不得少于两人) and
# record their officers with certificate numbers: confirming the evidence (the investigation's finding,
# 第五十四条、第五十五条), the prior notice, the owner's answer, service, and the decision (one officer in
# the summary procedure, checked there). Not enforcement acts, one named user suffices: the repair order
# (transport's written order on the decided case), recording a repair or retest another body stored,
# closing on a recorded scrapping; nor what stations measure on their own (passes, I站/M站 results).
OFFICER_STEPS = frozenset({"confirm", *PROCEDURE_STEPS})


TRANSITIONS: dict[str, Transition] = {
    "confirm": Transition(frozenset({"environment"}), frozenset(), frozenset({S.detected}), S.confirmed),
    # Who may impose a penalty depends on its basis (penalty_bases in the rules): police for art. 90,
    # environment for art. 114, the department a county designates for art. 121 para. 2;
    # penalties.check_penalty refuses the other departments.
    "penalize": Transition(
        frozenset({"police", "environment", "transport"}), frozenset(), frozenset({S.confirmed}), S.penalized
    ),
    "prior_notice": Transition(PENALTY_DEPARTMENTS, frozenset(), frozenset({S.confirmed}), None),
    "record_answer": Transition(PENALTY_DEPARTMENTS, frozenset(), frozenset({S.confirmed}), None),
    "serve": Transition(
        PENALTY_DEPARTMENTS,
        frozenset(),
        frozenset({S.confirmed, S.penalized, S.repair_ordered, S.repaired}),
        None,
    ),
    "order_repair": Transition(frozenset({"transport"}), frozenset(), frozenset({S.penalized}), S.repair_ordered),
    "record_repair": Transition(
        frozenset({"transport"}), frozenset({"repair"}), frozenset({S.repair_ordered}), S.repaired
    ),
    "record_retest": Transition(
        frozenset({"environment", "transport"}), frozenset({"inspection"}), frozenset({S.repaired}), None
    ),
    # Transport records scrapping and deregistration (the phase-out actions): only it closes a case so.
    "close_scrapped": Transition(frozenset({"transport"}), frozenset(), frozenset(OPEN_STATES), S.closed_scrapped),
}


def deadline_days() -> dict[str, int]:
    return {**DEFAULT_DEADLINE_DAYS, **(current_app.config.get("CASE_DEADLINE_DAYS") or {})}


def _due(state: str, start: datetime) -> datetime | None:
    """The deadline of a step: periods of up to seven days count working days (行政处罚法 第八十五条,
    holidays and 调休 from the calendar) and end at the end of that Beijing day; longer ones count
    calendar days."""
    days = deadline_days().get(state)
    if days is None:
        return None
    if days <= WORKING_DAY_LIMIT:
        return end_of_working_days(start, days)
    return start + timedelta(days=days)


def step_due(state: str, start: datetime) -> datetime | None:
    """The deadline of the step a case waits for in `state`, entered at `start` (the case page's step bar
    shows it for steps already done, as the case had it then)."""
    return _due(state, start)


WORKING_DAY_LIMIT = 7  # 行政处罚法 第八十五条: “二日”“三日”“五日”“七日” are working days


def end_of_working_days(start: datetime, days: int) -> datetime:
    due, _ = workdays.add_working_days(local_day(start), days)
    return end_of_day(due)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, SHANGHAI) - timedelta(microseconds=1)


def open_cases(entries: Sequence[BlacklistEntry], *, actor: Actor) -> list[Case]:
    """A new case for each new blacklist entry, written set-wise (one INSERT per table for the set).

    The listing rule lists hundreds of vehicles in one batch of passes; a flush per case would be a
    database round trip per row, inside the rule's vehicle locks.
    """
    opened_at = now_utc()
    due_at = _due(S.detected, opened_at)
    county_of = case_counties(entries, actor=actor)
    cases = [
        Case(
            vehicle_id=e.vehicle_id,
            entry_id=e.id,
            county_id=county_of.get(e.id),
            state=S.detected,
            opened_at=opened_at,
            due_at=due_at,
        )
        for e in entries
    ]
    db.session.add_all(cases)
    db.session.flush()
    _record_many(
        [
            (case, "open", None, S.detected, None, "system", {"entry_id": e.id})
            for case, e in zip(cases, entries, strict=True)
        ],
        actor=actor,
    )
    for case in cases:
        message = f"新案件待确认证据：{_plate(case)}（案件 {case.id}）"
        notify(case.id, "department", "environment", "case_to_confirm", message)
    return cases


def case_counties(entries: Sequence[BlacklistEntry], *, actor: Actor) -> dict[int, int | None]:
    """The county that handles each new case (entry id → county id; None: the city level).

    The county where the violation was measured handles it (行政处罚法 第二十二条: the authority of the
    place of the violation): the county of the station of the listing's latest evidence. A listing
    with no station in its evidence (a manual listing) goes to the listing account's county, else to
    the county where the vehicle is registered, else to the city level. Two queries for the whole set.
    """
    codes = {item.get("station") for e in entries for item in (e.evidence or []) if isinstance(item, dict)}
    codes.discard(None)
    stations = select(Station.code, Station.county_id).where(Station.code.in_(list(codes)))
    station_county = {code: county for code, county in db.session.execute(stations)}
    vehicles = (
        select(Vehicle.id, Township.county_id)
        .join(Township, Township.id == Vehicle.township_id)
        .where(Vehicle.id.in_({e.vehicle_id for e in entries}))
    )
    vehicle_county = {vehicle_id: county for vehicle_id, county in db.session.execute(vehicles)}
    found: dict[int, int | None] = {}
    for e in entries:
        items = [i for i in (e.evidence or []) if isinstance(i, dict) and i.get("station")]
        latest = max(items, key=lambda i: str(i.get("measured_at") or ""), default=None)
        county = station_county.get(latest["station"]) if latest is not None else None
        found[e.id] = county or actor.county_id or vehicle_county.get(e.vehicle_id)
    return found


def _plate(case: Case) -> str:
    if case.vehicle is None:
        return str(case.vehicle_id)
    return f"{case.vehicle.plate}（{PLATE_COLOR_ZH.get(case.vehicle.plate_color, case.vehicle.plate_color)}）"


ActionSpec = tuple[Case, str, str | None, str, str | None, str, dict[str, Any]]


def _record(
    case: Case,
    action: str,
    source: str | None,
    target: str,
    department: str | None,
    actor_name: str,
    fields: dict[str, Any],
    *,
    actor: Actor,
) -> CaseAction:
    return _record_many([(case, action, source, target, department, actor_name, fields)], actor=actor)[0]


def _record_many(specs: Sequence[ActionSpec], *, actor: Actor) -> list[CaseAction]:
    """Store case actions (case, action, from, to, department, actor name, fields), audited and announced.

    The audit line is written for `actor`, the caller the step was taken for.
    """
    at = now_utc()
    items = [
        CaseAction(
            case_id=case.id,
            action=action,
            from_state=source,
            to_state=target,
            department=department,
            actor_name=name,
            fields=_jsonable(fields),
            at=at,
        )
        for case, action, source, target, department, name, fields in specs
    ]
    db.session.add_all(items)
    db.session.flush()
    audit.record_many(
        [
            (f"case.{action}", "case", case.id, {"from": source, "to": target, **item.fields})
            for (case, action, source, target, *_), item in zip(specs, items, strict=True)
        ],
        actor=actor,
    )
    signals.send_records(
        "case_action", [(item.id, action_json(spec[0], item), None) for spec, item in zip(specs, items, strict=True)]
    )
    return items


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, date | datetime):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = float(value)
        else:
            out[key] = value
    return out


def _authorise(transition: Transition, principal: Actor) -> None:
    if principal.kind == "system":  # automatic steps (a passing retest, scrapping) act for no department
        return
    if principal.department in transition.departments or principal.department == "admin":
        return
    if principal.department == "station" and transition.station_kinds:
        station = db.session.get(Station, principal.station_id) if principal.station_id else None
        if station is not None and station.kind in transition.station_kinds:
            return
    raise Forbidden(f"department '{principal.department}' may not perform this action")


def _require(fields: dict[str, Any], *names: str) -> None:
    missing = {n: "required" for n in names if fields.get(n) in (None, "")}
    if missing:
        raise Invalid("missing fields for this action", missing)


def act(case_id: int, data: ActionIn, *, actor: Actor) -> Case:
    """Apply one action to a case for `actor`; raise 403/404/409/422 as the rules say."""
    action = data.action
    fields: dict[str, Any] = data.model_dump(exclude={"action"}, exclude_none=True)
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Invalid(f"unknown action '{action}'", {"action": f"one of {', '.join(TRANSITIONS)}"})
    case = db.session.get(Case, case_id, with_for_update=db.session.get_bind().dialect.name == "postgresql")
    # Another county's case is not found, as a missing one (auth/scope.py), whatever the action.
    if case is None or (scope.condition(Case, actor) is not None and not scope.visible(Case, case_id, actor)):
        raise NotFound(f"case {case_id} not found")
    _authorise(transition, actor)
    if case.state not in transition.sources:
        raise Conflict(
            f"case {case_id} is '{case.state}'; '{action}' needs one of {sorted(transition.sources)}",
            {"action": f"not allowed in state {case.state}"},
        )
    if action == "confirm" and case.entry is not None and case.entry.evidence_match == "probable":
        raise Conflict(
            f"case {case_id} rests on a probable plate match: confirm the match in the match reviews first",
            {"action": "证据号牌为近似匹配，须先在号牌核对中确认号牌，才能确认案件"},
        )
    procedure.check_decision_served(case, action)
    source = case.state
    target = transition.target
    now = now_utc()
    on_site = actor.kind != "system"
    officers = procedure.check_officers(fields, 2) if on_site and action in OFFICER_STEPS else []
    if action == "confirm":
        fields = {**fields, "officers": officers}
    elif action in PROCEDURE_STEPS:
        target = source
        if action == "prior_notice":
            basis = penalties.check_penalty(case, fields, actor)
            department = penalties.imposing_department(basis, actor)
            doc = procedure.issue_prior_notice(case, basis, fields, department, actor.name)
        elif action == "serve":
            doc = procedure.record_service(case, fields)
        else:
            doc = procedure.record_answer(case, fields)
        fields = {**fields, "officers": officers, "document": procedure.document_json(doc)}
    elif action == "penalize":
        _require(fields, "decision_number")
        basis = penalties.check_penalty(case, fields, actor)
        kind = fields.get("procedure")
        if kind not in ("summary", "general"):
            raise Invalid(
                "须注明适用简易程序（当场处罚）还是普通程序",
                {"procedure": "须为 summary（简易程序）或 general（普通程序）"},
            )
        officers = procedure.check_officers(fields, 1 if kind == "summary" else 2) if on_site else []
        if kind == "summary":
            procedure.check_summary_procedure(basis, fields)
        else:
            procedure.check_general_procedure(case, basis, fields)
        case.decision_number = fields["decision_number"]
        case.amount_yuan = None if fields.get("warning") else fields["amount_yuan"]
        case.legal_basis = basis.citation
        case.penalty_basis = basis.name
        case.penalty_department = penalties.imposing_department(basis, actor)
        case.penalty_warning = bool(fields.get("warning"))
        decision = procedure.issue_decision(case, basis, fields, kind, case.penalty_department, actor.name)
        fields = {
            **fields,
            "basis": basis.name,
            "legal_basis": case.legal_basis,
            "department": case.penalty_department,
            "officers": officers,
            "document": procedure.document_json(decision),
        }
    elif action == "order_repair":
        _require(fields, "due_date")
        today = local_day(now)
        if fields["due_date"] < today:
            raise Invalid(
                "维修期限不能早于今天",
                {"due_date": f"{fields['due_date'].isoformat()} 早于今天（北京时间 {today.isoformat()}）"},
            )
        case.repair_due = fields["due_date"]
    elif action == "record_repair":
        repair = records.find_repair(case.vehicle_id, case.entry, fields, actor)
        case.repair_id = repair.id
        case.repair_station = repair.station.code
        case.repair_report = repair.repair_number
        case.repaired_on = local_day(repair.repaired_at)
        fields = {
            **fields,
            "repair_id": repair.id,
            "repair_station": repair.station.code,
            "repair_number": repair.repair_number,
            "repaired_at": repair.repaired_at,
        }
    elif action == "record_retest":
        test = records.find_retest(case, fields, actor)
        case.retest_id = test.id
        case.retest_report = test.report_number
        target = S.closed_released if test.verdict == "pass" else S.repair_ordered
        fields = {**fields, "retest": records.test_summary(test), "passed": test.verdict == "pass"}
    elif action == "close_scrapped":
        reason = str(fields.get("reason") or "").strip()
        if not reason:
            raise Invalid("报废/注销结案须填写说明", {"reason": "必填：结案说明"})
        scrapping = records.scrapping_record(case.vehicle_id)
        if scrapping is None:
            raise Invalid(
                "该车辆没有报废或注销记录：须先登记报废/注销（淘汰车辆处置）或车辆登记状态为报废/注销，才能结案",
                {"vehicle_id": "没有报废或注销记录"},
            )
        fields = {**fields, "reason": reason, "scrapping": scrapping}
    assert target is not None
    if action in PROCEDURE_STEPS:  # a document of the procedure: the case waits as before
        _record(case, action, source, target, actor.department, actor.name, fields, actor=actor)
        return case
    case.state = target
    if action == "order_repair" or (action == "record_retest" and target == S.repair_ordered):
        if action == "record_retest" or case.repair_due is None:  # a failed retest: a new repair period
            case.repair_due = local_day(now + timedelta(days=deadline_days()["repair_ordered"]))
        case.due_at = end_of_day(case.repair_due)
    else:
        case.due_at = _due(target, now)
    _record(case, action, source, target, actor.department, actor.name, fields, actor=actor)
    if target in (S.closed_released, S.closed_scrapped):
        _close(case, target, actor, f"{action}: {fields.get('report_number') or ''}".strip(": "))
    else:
        _notify_next(case)
    return case


def _close(case: Case, target: str, actor: Actor, reason: str) -> None:
    case.closed_at = now_utc()
    case.due_at = None
    entry = db.session.get(BlacklistEntry, case.entry_id)
    if entry is not None and entry.status == "active":
        kind = "retest" if target == S.closed_released else "scrapped"
        blacklist_services.release(entry, kind, reason or kind, actor=actor)


def _notify_next(case: Case) -> None:
    waiting = WAITING_FOR.get(case.state)
    if waiting is None:
        return
    messages = {
        "confirmed": "证据已确认，待交警处罚",
        "penalized": "已处罚，待交通部门下达维修通知",
        "repair_ordered": "已下达维修通知，督促维修",
        "repaired": "维修已完成，待复检",
    }
    notify(
        case.id, "department", waiting, f"case_{case.state}", f"{messages.get(case.state, case.state)}：{_plate(case)}"
    )
    if case.state == S.repair_ordered and case.vehicle is not None and case.vehicle.owner_id is not None:
        due = case.repair_due.isoformat() if case.repair_due else format_local(case.due_at, "%Y-%m-%d")
        notify(
            case.id,
            "owner",
            str(case.vehicle.owner_id),
            "repair_order",
            f"您的车辆 {case.vehicle.plate} 排放超标，请于 {due} 前到具备资质的维修企业（M站）完成维修并复检。",
        )


def retest_recorded(entry: BlacklistEntry, event: Any) -> None:
    """An I站 result or roadside test of a repaired vehicle, dated after the repair, decides the retest:
    a pass closes the case and releases the vehicle, a failure sends the case back to repair."""
    case = db.session.scalar(select(Case).where(Case.entry_id == entry.id))
    if case is None or case.state != S.repaired:
        return
    test = db.session.get(RoadsideTest, event.record_id)
    if test is None or records.retest_problem(test, case) is not None:
        return
    if procedure.unserved_decision(case) is not None:  # the station's post stands; the case waits for service
        return
    act(
        case.id,
        ActionIn(action="record_retest", report_number=test.report_number, station=test.station.code),
        actor=SYSTEM,
    )


def repair_posted(repair: Repair) -> None:
    """An M站 repair of a vehicle whose case waits for its repair moves the case itself."""
    if repair.vehicle_id is None:
        return
    case = db.session.scalar(select(Case).where(Case.vehicle_id == repair.vehicle_id, Case.state == S.repair_ordered))
    if case is None or records.repair_problem(repair, case.entry) is not None:
        return
    if procedure.unserved_decision(case) is not None:  # the M站's post stands; the case waits for service
        return
    data = ActionIn(action="record_repair", repair_number=repair.repair_number, repair_station=repair.station.code)
    act(case.id, data, actor=SYSTEM)


def close_for_release(entry: BlacklistEntry, action: str, fields: dict[str, Any], *, actor: Actor) -> None:
    """Close the open case of an entry released outside the case (by hand, for withdrawn evidence)."""
    case = db.session.scalar(select(Case).where(Case.entry_id == entry.id))
    if case is None or case.state not in OPEN_STATES:
        return
    source = case.state
    case.state = S.closed_released
    case.closed_at = now_utc()
    case.due_at = None
    _record(case, action, source, S.closed_released, "environment", entry.released_by or "system", fields, actor=actor)


def open_evidence_withdrawn_task(case: Case, reason: str, *, actor: Actor) -> CaseAction:
    """Evidence of a case past `detected` was withdrawn: never release silently. Environment reviews
    what remains and police assess whether a penalty must be revoked; the task is a case action on the
    change feed and a notice to both inboxes. Called only through `reviews.services.open_task`, which also
    stores the EvidenceTask row the inboxes list (device withdrawals and match-review unlinks alike)."""
    item = _record(
        case,
        "evidence_withdrawn",
        case.state,
        case.state,
        None,
        actor.name,
        {"reason": reason, "task": "环保部门复核剩余证据；公安交管部门评估是否须撤销或变更处罚决定"},
        actor=actor,
    )
    message = f"案件 {case.id}（{_plate(case)}）的证据已撤回：{reason}。请复核，必要时撤销或变更处罚决定。"
    for department in ("environment", "police"):
        notify(case.id, "department", department, "evidence_withdrawn", message)
    return item


def close_open_cases_for_vehicle(vehicle_id: int, reason: str) -> None:
    """Scrapping or deregistration ends the vehicle's open case (called by the phase-out domain).

    A case whose penalty decision is not served yet stays open (the scrapping is stored all the same):
    the department that decided is told to record the service, then transport closes the case."""
    for case in db.session.scalars(select(Case).where(Case.vehicle_id == vehicle_id, Case.state.in_(OPEN_STATES))):
        decision = procedure.unserved_decision(case)
        if decision is not None:
            notify(
                case.id,
                "department",
                case.penalty_department or "police",
                "decision_unserved",
                f"车辆 {_plate(case)} 已报废/注销，但处罚决定书 {decision.number} 尚未送达：记录送达后方可结案",
            )
            continue
        act(case.id, ActionIn(action="close_scrapped", reason=reason), actor=SYSTEM)


def overdue(department: str | None, at: datetime | None = None, *, actor: Actor = SYSTEM) -> list[Case]:
    """Cases whose step (of `department`; None or admin: any) is overdue, of the cases `actor` sees."""
    at = at or now_utc()
    states = [s for s, d in WAITING_FOR.items() if department in (None, "admin", d)]
    stmt = select(Case).where(Case.state.in_(states), Case.due_at < at).order_by(Case.due_at)
    return list(db.session.scalars(scope.scoped(stmt, Case, actor)))


def inbox(department: str, *, actor: Actor = SYSTEM) -> dict[str, Any]:
    states = [s for s, d in WAITING_FOR.items() if department in ("admin", d)]
    waiting_stmt = select(Case).where(Case.state.in_(states)).order_by(Case.due_at, Case.id).limit(200)
    waiting = db.session.scalars(scope.scoped(waiting_stmt, Case, actor))
    late = overdue(department, actor=actor)
    data = {
        "department": department,
        "waiting": [case_json(c) for c in waiting],
        "overdue": [case_json(c) for c in late],
    }
    # Other domains add their sections (station health, match reviews...): `signals.inbox_wanted`.
    for sections in signals.answers(signals.inbox_wanted, "cases", department=department):
        data.update(sections)
    return data


def action_json(case: Case, item: CaseAction) -> dict[str, Any]:
    """A timeline item as the API and the change feed show it (declared once by ActionOut)."""
    assert item.case_id == case.id
    return ActionOut.model_validate(item).model_dump(mode="json")


def case_json(case: Case, *, timeline: bool = False) -> dict[str, Any]:
    """A case as the API and the pages show it (declared once by CaseOut); `retest` summarises the test."""
    data: dict[str, Any] = CaseOut.model_validate(case).model_dump(mode="json")
    data["retest"] = records.test_summary(case.retest) if case.retest is not None else None
    if timeline:
        data["entry"] = blacklist_services.entry_json(case.entry)
        data["documents"] = [procedure.document_json(d) for d in procedure.documents(case)]
        data["timeline"] = [action_json(case, a) for a in case.actions]
        # The numbered notices printed for the case (documents/): each with its state and PDF links.
        notices = select(IssuedNotice).where(IssuedNotice.case_id == case.id).order_by(IssuedNotice.id)
        data["notices"] = [n.summary() for n in db.session.scalars(notices)]
    return data


def vehicle_history(vehicle_id: int) -> dict[str, Any]:
    cases = db.session.scalars(select(Case).where(Case.vehicle_id == vehicle_id).order_by(Case.id))
    return {"cases": [case_json(c) for c in cases]}
