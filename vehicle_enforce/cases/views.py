"""Case pages: the board by state and deadline, one case's timeline, and each department's action form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.cases import penalties, procedure, services
from vehicle_enforce.cases.models import WAITING_FOR, Case
from vehicle_enforce.cases.schemas import ActionIn
from vehicle_enforce.core.forms import parse_form, refused_redraws
from vehicle_enforce.extensions import db

bp = Blueprint("case_pages", __name__, url_prefix="/ops/cases")

# Which actions each department's form offers (the service still checks every rule).
FORM_ACTIONS = {
    "environment": ["confirm", "prior_notice", "serve", "record_answer", "penalize", "record_retest"],
    "police": ["prior_notice", "serve", "record_answer", "penalize"],
    "transport": ["order_repair", "record_repair", "record_retest", "close_scrapped"],
    "admin": list(services.TRANSITIONS),
}
ACTION_NAMES = {
    "confirm": "确认证据",
    "prior_notice": "事先告知",
    "serve": "登记送达",
    "record_answer": "记录陈述申辩",
    "penalize": "录入处罚决定",
    "order_repair": "下达维修通知",
    "record_repair": "登记维修",
    "record_retest": "登记复检结果",
    "close_scrapped": "报废/注销结案",
}


@bp.get("/")
@page_access(D.environment, D.police, D.transport)
def board() -> Any:
    principal = current_principal()
    state = request.args.get("state") or None
    assert principal is not None
    stmt = select(Case).order_by(Case.due_at.is_(None), Case.due_at, Case.id).limit(200)
    stmt = scope.scoped(stmt, Case, principal)
    if state:
        stmt = stmt.where(Case.state == state)
    elif request.args.get("mine") and principal is not None:
        stmt = stmt.where(Case.state.in_([s for s, d in WAITING_FOR.items() if d == principal.department]))
    cases = [services.case_json(c) for c in db.session.scalars(stmt)]
    return render_template("cases/board.html", cases=cases, state=state)


@bp.get("/<int:case_id>")
@page_access(D.environment, D.police, D.transport)
def detail(case_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    case = db.session.get(Case, case_id)
    if case is None or not scope.visible(Case, case_id, principal):  # another county's: as a missing one
        return render_template("forbidden.html"), 404
    actions = [
        a for a in FORM_ACTIONS.get(principal.department or "", []) if case.state in services.TRANSITIONS[a].sources
    ]
    return render_template(
        "cases/detail.html",
        case=services.case_json(case, timeline=True),
        actions=actions,
        names=ACTION_NAMES,
        bases=[penalties.basis_json(b) for b in penalties.bases_in_force("vehicle")],
        methods={k: v for k, v in procedure.SERVICE_METHODS.items() if k != "on_the_spot"},
    )


SERVICE_METHODS = procedure.SERVICE_METHODS

#: The page's names for the fields the schema may refuse.
FIELD_LABELS = {
    "decision_number": "处罚决定书编号",
    "amount_yuan": "罚款金额（元）",
    "basis": "处罚依据",
    "due_date": "整改期限",
    "repair_station": "维修站",
    "repair_number": "维修单号",
    "report_number": "报告编号",
    "station": "检测站",
    "repaired_on": "维修日期",
    "reason": "原因",
    "procedure": "程序",
    "facts": "违法事实",
    "document": "文书",
    "method": "送达方式",
    "served_to": "受送达人",
    "answer_kind": "陈述申辩",
    "answer": "陈述申辩内容",
    "officers": "执法人员",
    **{f"officers.{i}.name": f"执法人员{i + 1}姓名" for i in range(2)},
    **{f"officers.{i}.certificate_no": f"执法人员{i + 1}执法证号" for i in range(2)},
}


def _action(action: str) -> ActionIn:
    """The form parsed by the API's own schema (ActionIn): ranges, lengths and dates as the API has them."""

    form = request.form
    values: dict[str, Any] = {"action": action}
    for name in FIELD_LABELS:
        text = form.get(name, "").strip()
        if text and "." not in name and name != "officers":
            values[name] = text
    officers = [
        {"name": form.get(f"officer{i}_name", "").strip(), "certificate_no": form.get(f"officer{i}_cert", "").strip()}
        for i in (1, 2)
    ]
    values["officers"] = [o for o in officers if o["name"] or o["certificate_no"]]
    if action in ("penalize", "prior_notice") and form.get("warning") == "1":
        values["warning"] = True  # a warning instead of a fine
        values.pop("amount_yuan", None)
    return parse_form(ActionIn, values, FIELD_LABELS)


@bp.post("/<int:case_id>")
@page_access(D.environment, D.police, D.transport)
@refused_redraws(
    detail, "操作未完成", {**FIELD_LABELS, "action": "操作", "warning": "警告", "prior_notice": "事先告知书"}
)
def act(case_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    action = request.form.get("action", "")
    services.act(case_id, _action(action), actor=principal)
    flash(f"已{ACTION_NAMES.get(action, action)}", "info")
    return redirect(url_for("case_pages.detail", case_id=case_id))
