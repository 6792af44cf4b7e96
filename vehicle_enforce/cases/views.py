"""Case pages: the board by state and deadline, one case's timeline, and each department's action form."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.cases import penalties, procedure, services
from vehicle_enforce.cases.models import Case
from vehicle_enforce.core import transaction
from vehicle_enforce.core.errors import ServiceError
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
    stmt = select(Case).order_by(Case.due_at.is_(None), Case.due_at, Case.id).limit(200)
    if state:
        stmt = stmt.where(Case.state == state)
    elif request.args.get("mine") and principal is not None:
        stmt = stmt.where(Case.state.in_([s for s, d in services.WAITING_FOR.items() if d == principal.department]))
    cases = [services.case_json(c) for c in db.session.scalars(stmt)]
    return render_template("cases/board.html", cases=cases, state=state)


@bp.route("/<int:case_id>", methods=["GET", "POST"])
@page_access(D.environment, D.police, D.transport)
def detail(case_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    case = db.session.get(Case, case_id)
    if case is None:
        return render_template("forbidden.html"), 404
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            services.act(case_id, action, _fields(action), principal)
            transaction.commit()
            flash(f"已{ACTION_NAMES.get(action, action)}", "info")
            return redirect(url_for("case_pages.detail", case_id=case_id))
        except ServiceError as exc:
            db.session.rollback()
            problems = "；".join(f"{k}：{v}" for k, v in exc.fields.items())
            flash(f"操作未完成：{_zh(exc)}{('（' + problems + '）') if problems else ''}", "error")
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


def _zh(exc: ServiceError) -> str:
    return {403: "本部门无权执行此操作", 409: "案件当前状态不允许此操作", 422: "填写内容有误", 404: "案件不存在"}.get(
        exc.status, "请求有误"
    )


SERVICE_METHODS = procedure.SERVICE_METHODS


def _fields(action: str) -> dict[str, Any]:
    form = request.form
    out: dict[str, Any] = {}
    names = ("decision_number", "basis", "repair_station", "repair_number", "report_number", "station", "reason")
    for name in (*names, "procedure", "facts", "document", "method", "served_to", "answer_kind", "answer"):
        if form.get(name, "").strip():
            out[name] = form[name].strip()
    for name in ("due_date", "repaired_on"):
        if form.get(name):
            with contextlib.suppress(ValueError):
                out[name] = date.fromisoformat(form[name])
    if form.get("amount_yuan"):
        with contextlib.suppress(InvalidOperation):
            out["amount_yuan"] = Decimal(form["amount_yuan"])
    officers = [
        {"name": form.get(f"officer{i}_name", "").strip(), "certificate_no": form.get(f"officer{i}_cert", "").strip()}
        for i in (1, 2)
    ]
    out["officers"] = [o for o in officers if o["name"] or o["certificate_no"]]
    if action in ("penalize", "prior_notice") and form.get("warning") == "1":
        out["warning"] = True
        out.pop("amount_yuan", None)
    return out
