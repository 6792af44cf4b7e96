"""Pages for non-road machinery: the registry, this month's sampling plan and spot checks.

The environment department draws the month's plan; environment, housing and township staff register
machines, record spot-check results and machines not found on site (a township: at the sites of its own
township, which is all it sees). Every rule (sampling, GB 36886 verdict, art. 114 violations, whose
site a caller may name) is in `nrmm.services`.
"""

from __future__ import annotations

from typing import Any, get_args

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core import listing
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.forms import field_refused, parse_form, refused_redraws
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.core.timeutil import format_local, from_local_input, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm import services
from vehicle_enforce.nrmm.models import MACHINE_TYPE_ZH, Machine, PlanItem, SamplingPlan, Site, SpotCheck
from vehicle_enforce.nrmm.schemas import MachineIn, PlanIn, SpotCheckIn
from vehicle_enforce.vehicles.models import FUEL_ZH, Owner

bp = Blueprint("nrmm_pages", __name__, url_prefix="/ops/nrmm")

#: The page's names for the fields the schema may refuse.
FIELD_LABELS = {
    "machine_id": "机械编号",
    "pin": "PIN",
    "checked_at": "检测时间",
    "k_readings": "光吸收系数读数",
    **{f"k_readings.{i}": f"第{i + 1}次光吸收系数" for i in range(3)},
    "ringelmann": "林格曼黑度",
    "rated_power_kw": "额定功率",
    "emission_stage": "排放阶段",
    "status": "抽测状态",
    "site_id": "工地",
    "machine_type": "机械类型",
    "fuel": "燃料",
    "brand": "品牌",
    "model": "型号",
    "env_code": "环保登记编码",
    "acquired_on": "购置或转入日期",
    "enforcement": "作为执法检查",
    "officers": "执法人员",
    **{f"officers.{i}.name": f"执法人员{i + 1}姓名" for i in range(2)},
    **{f"officers.{i}.certificate_no": f"执法人员{i + 1}执法证号" for i in range(2)},
}


def _month() -> str:
    return services.this_month()


#: Who works the machinery pages (the API's roles: nrmm.api.ROLES).
WORKERS = (D.environment, D.housing, D.township)


STAGE_ZH = {"1": "国一", "2": "国二", "3": "国三", "4": "国四"}


def _due(stmt: Select[Any], _: bool) -> Select[Any]:
    """Machines still to be checked in this month's sampling plan (the dashboards' 待抽测)."""
    pending = (
        select(PlanItem.machine_id)
        .join(SamplingPlan, SamplingPlan.id == PlanItem.plan_id)
        .where(SamplingPlan.month == _month(), PlanItem.status == "pending")
    )
    return stmt.where(Machine.id.in_(pending))


def _search(stmt: Select[Any], text: str) -> Select[Any]:
    """The search box: the start of a PIN, an environmental registration code or a brand."""
    return stmt.where(
        or_(
            Machine.pin.startswith(text.upper(), autoescape=True),
            Machine.env_code.startswith(text.upper(), autoescape=True),
            Machine.brand.startswith(text, autoescape=True),
        )
    )


def _machine_row(row: tuple[Machine, str | None, str | None]) -> dict[str, Any]:
    m, owner, phone = row
    return {
        "id": m.id,
        "env_code": m.env_code,
        "pin": m.pin,
        "machine_type": m.machine_type,
        "brand": m.brand,
        "model": m.model,
        "emission_stage": str(m.emission_stage) if m.emission_stage else None,
        "fuel": m.fuel,
        "rated_power_kw": m.rated_power_kw,
        "site": m.site.name if m.site else None,
        "registered_on": m.registered_on,
        "owner": owner,
        "owner_phone": phone,
    }


def _machine_owner(stmt: Select[Any]) -> Select[Any]:
    return (
        stmt.outerjoin(Owner, Owner.id == Machine.owner_id)
        .add_columns(Owner.name, Owner.phone)
        .options(selectinload(Machine.site))
    )


MACHINES = listing.ListSpec(
    name="nrmm_machines",
    title="非道路移动机械登记",
    id_column=Machine.id,
    filters=(
        listing.Filter("q", "PIN / 环保编码 / 品牌", _search, placeholder="输入开头几位", max_length=32),
        listing.Filter("machine_type", "机械类型", listing.equals(Machine.machine_type), "choice", MACHINE_TYPE_ZH),
        listing.Filter(
            "stage",
            "排放阶段",
            lambda stmt, stage: stmt.where(Machine.emission_stage == int(stage)),
            "choice",
            STAGE_ZH,
        ),
        listing.Filter("due", "本月待抽测", _due, "flag"),
    ),
    sorts=(
        listing.Sort("id", "编号", Machine.id, "int"),
        listing.Sort("registered_on", "登记日期", Machine.registered_on, "date"),
    ),
    default_sort="id",
    columns=(
        Column("id", "机械编号", "int"),
        Column("env_code", "环保登记编码"),
        Column("pin", "PIN"),
        Column("machine_type", "机械类型", labels=MACHINE_TYPE_ZH),
        Column("brand", "品牌"),
        Column("model", "型号"),
        Column("emission_stage", "排放阶段", labels=STAGE_ZH),
        Column("fuel", "燃料", labels=FUEL_ZH),
        Column("rated_power_kw", "额定功率（kW）", "number"),
        Column("site", "所在工地"),
        Column("registered_on", "登记日期", "date"),
        *listing.OWNER_COLUMNS,
    ),
    export_row=_machine_row,
    export_query=_machine_owner,
    masks=listing.OWNER_MASKS,
)


@bp.get("/")
@page_access(*WORKERS)
def registry() -> Any:
    principal = current_principal()
    assert principal is not None  # page_access admitted a person
    stmt = scope.scoped(select(Machine), Machine, principal)
    return listing.respond(MACHINES, stmt, principal, lambda state: _registry_page(state, principal))


def _registry_page(state: listing.ListState, principal: Actor) -> str:
    month = _month()
    plan = services.plan_of_month(month, actor=principal)
    # ?item_status=pending: only the plan's machines still due for their spot check (the home page's card).
    item_status = request.args.get("item_status") if request.args.get("item_status") in PLAN_ITEM_STATUSES else None
    checks = db.session.scalars(
        scope.scoped(select(SpotCheck), SpotCheck, principal).order_by(SpotCheck.id.desc()).limit(20)
    ).all()
    return render_template(
        "nrmm/registry.html",
        state=state,
        month=month,
        plan=services.plan_json(plan, actor=principal, items=True, status=item_status) if plan else None,
        item_status=item_status,
        checks=[{**services.spot_check_json(c), "at": format_local(c.checked_at, "%Y-%m-%d %H:%M")} for c in checks],
        can_plan=principal.department in (D.environment, D.admin),
        machine=request.args.get("machine", ""),
        now=format_local(now_utc(), "%Y-%m-%dT%H:%M"),
        sites=db.session.scalars(scope.scoped(select(Site).order_by(Site.name), Site, principal)).all(),
        machine_types=MACHINE_TYPE_ZH,
        fuels=MACHINE_FUELS,
        stages=STAGE_ZH,
    )


#: The plan item statuses the plan table filters by.
PLAN_ITEM_STATUSES = ("pending", "checked", "not_found")

#: The fuels a machine can be registered with (MachineIn.fuel), in the order the schema declares them.
MACHINE_FUELS = {code: FUEL_ZH[code] for code in get_args(MachineIn.model_fields["fuel"].annotation)}


@bp.post("/machines")
@page_access(*WORKERS)
@refused_redraws(registry, "机械未登记", FIELD_LABELS)
def register_machine() -> Any:
    principal = current_principal()
    assert principal is not None
    names = ("pin", "env_code", "machine_type", "brand", "model", "emission_stage", "fuel", "rated_power_kw")
    values = {k: v for k in (*names, "site_id", "acquired_on") if (v := (request.form.get(k) or "").strip())}
    machine = services.register_machine(parse_form(MachineIn, values, FIELD_LABELS), actor=principal)
    flash(f"已登记机械 {machine.pin}，环保登记编码 {machine.env_code}（编号 {machine.id}）", "info")
    return redirect(url_for("nrmm_pages.registry") + "#machines")


@bp.post("/plan")
@page_access(D.environment)
@refused_redraws(registry, "抽测计划未生成", FIELD_LABELS)
def draw_plan() -> Any:
    principal = current_principal()
    assert principal is not None
    plan = services.create_plan(PlanIn(month=_month()), actor=principal)
    flash(f"已生成 {plan.month} 抽测计划：抽取 {len(plan.items)} 台，随机种子 {plan.seed}", "info")
    return redirect(url_for("nrmm_pages.registry"))


@bp.post("/plan/items/<int:item_id>/not-found")
@page_access(*WORKERS)
@refused_redraws(registry, "未保存", FIELD_LABELS)
def not_found(item_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    item = services.mark_not_found(item_id, actor=principal)
    flash(f"已记录机械 {item.machine_id} 现场未找到", "info")
    return redirect(url_for("nrmm_pages.registry"))


@bp.post("/spot-checks")
@page_access(*WORKERS)
@refused_redraws(registry, "抽测结果未保存", FIELD_LABELS)
def spot_check() -> Any:
    principal = current_principal()
    assert principal is not None
    check = services.record_spot_check(_spot_check_fields(request.form), actor=principal)
    verdict = {"pass": "合格", "exceed": "超标", "invalid": "无效"}.get(check.verdict, check.verdict)
    flash(f"已保存抽测结果：{verdict}" + ("，存在违法行为，请依法处罚" if check.violations else ""), "info")
    return redirect(url_for("nrmm_pages.registry") + "#checks")


def _spot_check_fields(form: Any) -> SpotCheckIn:
    """The form parsed by the API's own schema (SpotCheckIn): finite readings in range, ids in range."""

    try:
        checked_at = from_local_input(form.get("checked_at") or "")
    except ValueError:
        raise field_refused("checked_at", "请填写检测时间") from None
    readings = [(form.get(f"k{i}") or "").strip() for i in (1, 2, 3)]
    if not all(readings):
        raise field_refused("k_readings", "请填写三次光吸收系数读数")
    values: dict[str, Any] = {"checked_at": checked_at, "k_readings": readings}
    for name in ("machine_id", "pin", "site_id", "ringelmann", "rated_power_kw", "emission_stage"):
        text = (form.get(name) or "").strip()
        if text:
            values[name] = text
    values["enforcement"] = form.get("enforcement") == "1"
    officers = [
        {
            "name": (form.get(f"officer{i}_name") or "").strip(),
            "certificate_no": (form.get(f"officer{i}_cert") or "").strip(),
        }
        for i in (1, 2)
    ]
    values["officers"] = [o for o in officers if o["name"] or o["certificate_no"]] or None
    return parse_form(SpotCheckIn, values, FIELD_LABELS)
