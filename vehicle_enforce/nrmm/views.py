"""Pages for non-road machinery: the registry, this month's sampling plan and spot checks.

The environment department draws the month's plan; environment, housing and township staff register
machines, record spot-check results and machines not found on site (a township: at the sites of its own
township, which is all it sees). Every rule (sampling, GB 36886 verdict, art. 114 violations, whose
site a caller may name) is in `nrmm.services`.
"""

from __future__ import annotations

from typing import Any, get_args

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.forms import field_refused, parse_form, refused_redraws
from vehicle_enforce.core.inputs import db_int
from vehicle_enforce.core.timeutil import format_local, from_local_input, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm import services
from vehicle_enforce.nrmm.models import MACHINE_TYPE_ZH, Machine, Site, SpotCheck
from vehicle_enforce.nrmm.schemas import MachineIn, PlanIn, SpotCheckIn
from vehicle_enforce.vehicles.models import FUEL_ZH

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
    return local_day(now_utc()).strftime("%Y-%m")


#: Who works the machinery pages (the API's roles: nrmm.api.ROLES).
WORKERS = (D.environment, D.housing, D.township)


@bp.get("/")
@page_access(*WORKERS)
def registry() -> Any:
    principal = current_principal()
    assert principal is not None  # page_access admitted a person
    after = db_int(request.args.get("after")) or 0
    stmt = scope.scoped(select(Machine), Machine, principal).where(Machine.id > after)
    rows = db.session.scalars(stmt.order_by(Machine.id).limit(101)).all()
    machines = [services.machine_json(m) for m in rows[:100]]
    next_after = rows[99].id if len(rows) > 100 else None
    month = _month()
    plan = services.plan_of_month(month, actor=principal)
    checks = db.session.scalars(
        scope.scoped(select(SpotCheck), SpotCheck, principal).order_by(SpotCheck.id.desc()).limit(20)
    ).all()
    return render_template(
        "nrmm/registry.html",
        machines=machines,
        next_after=next_after,
        month=month,
        plan=services.plan_json(plan, actor=principal, items=True) if plan else None,
        checks=[{**services.spot_check_json(c), "at": format_local(c.checked_at, "%Y-%m-%d %H:%M")} for c in checks],
        can_plan=principal is not None and principal.department in (D.environment, D.admin),
        machine=request.args.get("machine", ""),
        now=format_local(now_utc(), "%Y-%m-%dT%H:%M"),
        sites=db.session.scalars(scope.scoped(select(Site).order_by(Site.name), Site, principal)).all(),
        machine_types=MACHINE_TYPE_ZH,
        fuels=MACHINE_FUELS,
    )


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
