"""The case page's step bar and the actions a viewer may take now.

The stages are the case's states (`cases/models.CaseState`) in their order: detected → confirmed →
penalized → repair_ordered → repaired → closed_released (the retest decides: a pass closes and releases,
a failure sends the case back to repair_ordered), or closed_scrapped from any open state. Each stage
after the first is reached by a step with a deadline: the deadline of the state before it, counted from
when the case entered that state (`services.step_due`: working days for periods up to seven days,
`workdays.py`), the repair period for the repair, and for the step the case waits for now, the case's
own `due_at`. Times are stored in UTC; the page shows them in Beijing time (`local`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vehicle_enforce.cases import procedure, services
from vehicle_enforce.cases.models import WAITING_FOR, Case, CaseState
from vehicle_enforce.core.timeutil import now_utc

S = CaseState
#: (state reached, the stage's name as staff say it, the step that reaches it).
STAGES: tuple[tuple[str, str, str], ...] = (
    (S.detected, "发现立案", "列入黑名单，自动立案"),
    (S.confirmed, "确认证据", "生态环境部门确认证据"),
    (S.penalized, "处罚决定", "作出处罚决定"),
    (S.repair_ordered, "责令维修", "交通运输部门下达维修通知"),
    (S.repaired, "维修完成", "M站上报维修记录"),
    (S.closed_released, "复检合格解除", "复检合格，解除管控"),
)
ORDER = [s for s, _, _ in STAGES]
DEPARTMENT_ZH = {"environment": "生态环境", "police": "公安交管", "transport": "交通运输"}


def _aware(at: datetime | None) -> datetime | None:
    """SQLite hands stored UTC times back without their zone."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=now_utc().tzinfo)


def steps(case: Case) -> list[dict[str, Any]]:
    """The stages with their state (done, current, overdue, pending, skipped), when each was reached,
    its deadline and whether it was reached late."""
    entered: dict[str, datetime] = {S.detected: _aware(case.opened_at) or now_utc()}
    closing = None
    for action in case.actions:
        if action.to_state != action.from_state and action.at is not None:
            entered[action.to_state] = _aware(action.at) or now_utc()
            if action.to_state in (S.closed_released, S.closed_scrapped):
                closing = action
    now = now_utc()
    state = case.state
    if state == S.closed_scrapped:
        reached = ORDER.index(closing.from_state) if closing is not None and closing.from_state in ORDER else 0
    else:
        reached = ORDER.index(state) if state in ORDER else 0
    shown: list[dict[str, Any]] = []
    for i, (stage, name, step) in enumerate(STAGES):
        at = entered.get(stage) if i <= reached else None
        due = None
        if i > 0 and (at is not None or i == reached + 1):
            before = ORDER[i - 1]
            if i == reached + 1 and state in WAITING_FOR:
                due = _aware(case.due_at)  # the step the case waits for: its own deadline
            elif stage == S.repaired and case.repair_due is not None:
                due = services.end_of_day(case.repair_due)
            elif entered.get(before) is not None:
                due = services.step_due(before, entered[before])
        if i <= reached:
            status = "done" if at is not None else "skipped"
        elif i == reached + 1 and state in WAITING_FOR:
            status = "overdue" if due is not None and due < now else "current"
        else:
            status = "skipped" if state in (S.closed_released, S.closed_scrapped) else "pending"
        shown.append(
            {
                "state": stage,
                "name": name,
                "step": step,
                "status": status,
                "at": at,
                "due": due,
                "late": bool(at is not None and due is not None and at > due),
                "waiting_for": DEPARTMENT_ZH.get(WAITING_FOR.get(ORDER[i - 1], ""), "") if i > 0 else "",
            }
        )
    if state == S.closed_released and closing is not None and closing.action != "record_retest":
        how = {"manual_release": "生态环境部门人工解除", "evidence_withdrawn": "证据撤回，解除"}
        shown[-1] = {**shown[-1], "name": "解除管控", "step": how.get(closing.action, "解除管控")}
    if state == S.closed_scrapped:
        at = entered.get(S.closed_scrapped)
        shown[-1] = {**shown[-1], "status": "skipped", "at": None, "due": None, "late": False}
        shown.append(
            {
                "state": S.closed_scrapped,
                "name": "报废结案",
                "step": "车辆已报废或注销，结案",
                "status": "done",
                "at": at,
                "due": None,
                "late": False,
                "waiting_for": "",
            }
        )
    return shown


#: Steps that change the case's state: the page asks for confirmation and styles them apart.
STATE_CHANGING = {
    "confirm": "primary",
    "penalize": "danger",
    "order_repair": "primary",
    "record_repair": "primary",
    "record_retest": "primary",
    "close_scrapped": "danger",
}


def actions_now(case: Case, department: str | None, offered: list[str]) -> tuple[list[str], list[str]]:
    """Of the actions the department's form offers (`offered`), those it may take now: the case's state
    allows them and the procedure has something for them (a document to serve, a served notice to
    answer); confirming waits while the evidence rests on an unconfirmed near plate match. The service
    checks every rule again when the form is sent. Also what holds an action back, in words for the page."""
    allowed: list[str] = []
    held: list[str] = []
    decision = procedure.unserved_decision(case)
    documents = procedure.documents(case)
    unserved = [d for d in documents if d.served_at is None]
    notices = [d for d in documents if d.kind == "prior_notice"]
    for action in offered:
        transition = services.TRANSITIONS[action]
        if case.state not in transition.sources:
            continue
        if department != "admin" and department not in transition.departments:
            continue
        if action == "confirm" and case.entry is not None and case.entry.evidence_match == "probable":
            held.append("证据号牌为近似匹配：须先在号牌人工核对中确认号牌，才能确认证据。")
            continue
        if action == "serve" and not unserved:
            continue
        if action == "record_answer" and not (
            notices and notices[-1].served_at is not None and notices[-1].answered_at is None
        ):
            continue
        if action in procedure.AFTER_DECISION and decision is not None:
            held.append(f"处罚决定书 {decision.number} 尚未送达当事人：须先登记送达，才能进行下一步。")
            continue
        allowed.append(action)
    return allowed, sorted(set(held))
