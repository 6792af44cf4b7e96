"""Case pages: the board by state and deadline, one case's timeline, and each department's action form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from vehicle_enforce.auth import privacy, scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.cases import evidence as case_evidence
from vehicle_enforce.cases import penalties, procedure, services, stages
from vehicle_enforce.cases.models import CASE_STATE_ZH, WAITING_FOR, Case
from vehicle_enforce.cases.schemas import ActionIn
from vehicle_enforce.core import decisions, listing
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.forms import parse_form, refused_redraws
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH

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


def _waiting_for(department: str | None) -> list[str]:
    """The open states whose step `department` takes (admin: every open state)."""
    return [s for s, d in WAITING_FOR.items() if department in ("admin", d)]


def _case_row(row: tuple[Case, str | None, str | None]) -> dict[str, Any]:
    case, owner, phone = row
    return {
        "id": case.id,
        "plate": case.vehicle.plate,
        "plate_color": case.vehicle.plate_color,
        "state": case.state,
        "opened_at": case.opened_at,
        "due_at": case.due_at,
        "overdue": case.state in WAITING_FOR and case.overdue,
        "owner": owner,
        "owner_phone": phone,
        "decision_number": case.decision_number,
        "amount_yuan": float(case.amount_yuan) if case.amount_yuan is not None else None,
        "closed_at": case.closed_at,
    }


def _case_owner(stmt: Select[Any]) -> Select[Any]:
    return listing.with_owner(stmt, Case.vehicle_id).options(selectinload(Case.vehicle))


CASES = listing.ListSpec(
    name="cases",
    title="联合执法案件",
    id_column=Case.id,
    filters=(
        listing.plate_search(Case.vehicle_id, via_vehicle=True),
        listing.Filter("state", "状态", listing.equals(Case.state), "choice", CASE_STATE_ZH),
        listing.Filter("open", "未结案", lambda stmt, _: stmt.where(Case.state.in_(list(WAITING_FOR))), "flag"),
        listing.Filter(
            "mine",
            "待本部门处理",
            lambda stmt, caller: stmt.where(Case.state.in_(_waiting_for(caller.department if caller else None))),
            "flag",
            about_caller=True,
        ),
        listing.Filter(
            "overdue",
            "已逾期",
            lambda stmt, _: stmt.where(Case.state.in_(list(WAITING_FOR)), Case.due_at < now_utc()),
            "flag",
        ),
    ),
    sorts=(
        listing.Sort("due_at", "办理期限", Case.due_at, nullable=True),
        listing.Sort("opened_at", "立案时间", Case.opened_at),
        listing.Sort("id", "案件编号", Case.id, "int"),
    ),
    default_sort="due_at",
    columns=(
        Column("id", "案件编号", "int"),
        Column("plate", "号牌"),
        Column("plate_color", "号牌颜色", labels=PLATE_COLOR_ZH),
        Column("state", "状态", labels=CASE_STATE_ZH),
        Column("opened_at", "立案时间", "datetime"),
        Column("due_at", "办理期限", "datetime"),
        Column("overdue", "已逾期", "bool"),
        Column("decision_number", "处罚决定书文号"),
        Column("amount_yuan", "罚款金额（元）", "number"),
        Column("closed_at", "结案时间", "datetime"),
        *listing.OWNER_COLUMNS,
    ),
    export_row=_case_row,
    export_query=_case_owner,
    masks=listing.OWNER_MASKS,
)


def board_statement(principal: Actor) -> Select[Any]:
    """The cases the board lists before its filters (CASES) narrow them: the caller's (scoped). The home
    page counts its case cards with this and CASES' filters, so a count and the board cannot differ."""
    return scope.scoped(select(Case), Case, principal)


@bp.get("/")
@page_access(D.environment, D.police, D.transport)
def board() -> Any:
    """The county's cases (scoped), by deadline: search by plate, filter by state, mine, overdue; export."""
    principal = current_principal()
    assert principal is not None
    stmt = board_statement(principal).options(selectinload(Case.vehicle))
    return listing.respond(
        CASES, stmt, principal, lambda state: render_template("cases/board.html", state=state, waiting=WAITING_FOR)
    )


#: What the history calls every step a case records (the form's actions and the system's own).
HISTORY_NAMES = {
    **ACTION_NAMES,
    "open": "立案",
    "evidence_withdrawn": "证据撤回",
    "manual_release": "人工解除管控",
}

#: The confirmation each state-changing step asks (`stages.STATE_CHANGING`), after the case and plate.
ASK_ZH = {
    "confirm": "确认证据成立，案件转交处罚？",
    "penalize": "录入处罚决定（决定书编号 {decision_number}），案件转入待下达维修？",
    "order_repair": "下达维修通知（维修期限 {due_date}），并通知车主？",
    "record_repair": "登记维修（维修记录编号 {repair_number}），案件转入待复检？",
    "record_retest": "登记复检（报告编号 {report_number}）：合格即结案并解除管控，不合格退回维修？",
    "close_scrapped": "以车辆报废/注销结案，并解除黑名单管控？结案后不能再办理。",
}


def _vehicle(case: Case, principal: Actor) -> dict[str, Any]:
    """The vehicle and its owner as the page shows them (personal data masked by role, auth/privacy.py)."""
    v = case.vehicle
    owner = None
    if v.owner is not None:
        o = v.owner
        owner = privacy.mask_fields(
            {"name": o.name, "kind": o.kind, "credit_code": o.credit_code, "phone": o.phone, "address": o.address},
            principal=principal,
        )
    return {
        "plate": v.plate,
        "plate_color": v.plate_color,
        "vehicle_type": v.vehicle_type,
        "fuel": v.fuel,
        "emission_standard": v.emission_standard,
        "emission_standard_inferred": v.emission_standard_inferred,
        "vin": v.vin,
        "registration_date": v.registration_date,
        "status": v.status,
        "township": v.township.name if v.township is not None else None,
        "owner": owner,
    }


@bp.get("/<int:case_id>")
@page_access(D.environment, D.police, D.transport)
def detail(case_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    case = db.session.get(Case, case_id)
    if case is None or not scope.visible(Case, case_id, principal):  # another county's: as a missing one
        abort(404)
    # Only what this viewer may do now: its department's actions the state and the procedure allow.
    actions, held = stages.actions_now(case, principal.department, FORM_ACTIONS.get(principal.department or "", []))
    return render_template(
        "cases/detail.html",
        case=services.case_json(case, timeline=True),
        vehicle=_vehicle(case, principal),
        evidence=case_evidence.case_evidence(case, principal),
        steps=stages.steps(case),
        actions=actions,
        held=held,
        styles=stages.STATE_CHANGING,
        names=ACTION_NAMES,
        history_names=HISTORY_NAMES,
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
    data = _action(action)
    if action in stages.STATE_CHANGING and not decisions.confirmed():  # the confirmation step first
        case = scope.get_or_404(Case, case_id, principal)
        question = ASK_ZH[action].format(**{k: v or "" for k, v in data.model_dump().items()})
        return decisions.ask(
            f"{ACTION_NAMES[action]}：案件 {case.id}（{case.plate}）。{question}",
            label=ACTION_NAMES[action],
            kind=stages.STATE_CHANGING[action],
        )
    services.act(case_id, data, actor=principal)
    flash(f"已{ACTION_NAMES.get(action, action)}", "info")
    return redirect(url_for("case_pages.detail", case_id=case_id))
