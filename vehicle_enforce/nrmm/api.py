"""JSON API: machines, sites, monthly sampling plans and spot checks (environment, housing, township)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.cases.schemas import ActionIn
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.core.openapi import json_body, operation, query_args
from vehicle_enforce.core.pagination import PageQuery, page, page_json
from vehicle_enforce.core.spreadsheets import XLSX_MIMETYPE
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm import penalties, reports, services
from vehicle_enforce.nrmm.models import Machine, SamplingPlan, Site, SpotCheck
from vehicle_enforce.nrmm.schemas import (
    ExportQuery,
    MachineExport,
    MachineIn,
    MachineOut,
    MachinePage,
    MachineQuery,
    NotFoundOut,
    PlanDetailOut,
    PlanIn,
    PlanPage,
    ProgressOut,
    ProgressQuery,
    SiteIn,
    SiteOut,
    SitePage,
    SpotCheckIn,
    SpotCheckOut,
    SpotCheckPage,
    SpotCheckPenaltyOut,
)
from vehicle_enforce.summary.units import county_of, unit_for

bp = Blueprint("nrmm_api", __name__, url_prefix="/api/v1/nrmm")
ROLES = (D.environment, D.housing, D.township)


_MACHINE = {
    "id": 57,
    "env_code": "140525-NR-000057",
    "pin": "CAT0320GKZF12345",
    "machine_type": "excavator",
    "brand": "卡特彼勒",
    "model": "320GC",
    "production_date": "2019-04-18",
    "emission_stage": 3,
    "emission_stage_name": "国三",
    "fuel": "diesel",
    "engine_model": "C4.4",
    "engine_maker": "珀金斯",
    "engine_number": "DJA12345",
    "rated_power_kw": 90.0,
    "owner_id": 31,
    "site_id": 4,
    "acquired_on": "2024-03-02",
    "registered_on": "2024-03-20",
    "status": "active",
}
_MACHINE_REQUEST = {
    key: value
    for key, value in _MACHINE.items()
    if key not in ("id", "env_code", "emission_stage_name", "registered_on", "status")
}
_SITE = {
    "id": 4,
    "name": "巴公镇污水处理厂扩建工地",
    "kind": "construction",
    "township_id": 2,
    "county_id": 1,
    "location": "泽州县巴公镇东四义村南",
    "low_emission_zone": True,
    "zone_min_stage": 3,
    "zone_class": "III",
}
_SPOT_CHECK = {
    "id": 210,
    "machine_id": 57,
    "pin": "CAT0320GKZF12345",
    "site_id": 4,
    "checked_at": "2026-12-07T02:30:00+00:00",
    "inspector": "王建国",
    "k_readings": [0.82, 0.79, 0.85],
    "ringelmann": 1,
    "verdict": "pass",
    "limit_set": "GB 36886-2018 III类 (P≥37kW)",
    "exceeded": [],
    "violations": [],
    "violations_zh": [],
    "penalty_yuan": None,
    "legal_basis": None,
    "penalty_suggested": False,
    "enforcement": True,
    "officers": [{"name": "李执法", "certificate_no": "14050101"}, {"name": "王执法", "certificate_no": "14050102"}],
    "penalty": None,
}
_PLAN = {
    "id": 12,
    "month": "2026-12",
    "county_id": 1,
    "seed": 20261201,
    "share": 0.1,
    "population": 240,
    "size": 26,
    "status_counts": {"pending": 20, "checked": 5, "not_found": 1},
}
_PLAN_DETAIL = {
    **_PLAN,
    "size": 2,
    "status_counts": {"pending": 1, "checked": 1},
    "items": [
        {
            "id": 301,
            "machine_id": 57,
            "township_id": 2,
            "status": "checked",
            "env_code": "140525-NR-000057",
            "pin": "CAT0320GKZF12345",
            "machine_type": "excavator",
            "site": "巴公镇某工地",
            "township": "巴公镇",
            "owner": "晋城市某建筑工程有限公司",
        },
        {
            "id": 302,
            "machine_id": 88,
            "township_id": 5,
            "status": "pending",
            "env_code": "140525-NR-000088",
            "pin": "LGC0856HHLA00088",
            "machine_type": "loader",
            "site": "金村镇物流园",
            "township": "金村镇",
            "owner": None,
        },
    ],
}


@bp.get("/machines")
@api_access(*ROLES)
@operation(
    "已登记的非道路移动机械 / Registered machines (township users see their township's sites)",
    query=MachineQuery,
    resp={200: MachinePage},
    examples={"response": {"results": [_MACHINE], "next_cursor": None}},
)
def list_machines() -> Any:
    principal = principal_or_401()
    q = query_args(MachineQuery)
    if q.overdue:
        return jsonify(
            {
                "results": [services.machine_json(m) for m in services.overdue_registrations(actor=principal)],
                "next_cursor": None,
            }
        )
    stmt = scope.scoped(select(Machine), Machine, principal)
    if q.site_id:
        stmt = stmt.where(Machine.site_id == q.site_id)
    rows, cursor = page(stmt, Machine.id, q)
    return jsonify(page_json(rows, cursor, services.machine_json))


@bp.post("/machines")
@api_access(*ROLES)
@operation(
    "登记非道路移动机械 / Register a machine (code issued by the platform or generated here)",
    json=MachineIn,
    resp={201: MachineOut},
    examples={"request": _MACHINE_REQUEST, "response": _MACHINE},
)
def register() -> Any:
    principal = principal_or_401()
    data = json_body(MachineIn)
    machine = services.register_machine(data, actor=principal)
    return jsonify(services.machine_json(machine)), 201


@bp.get("/machines/export")
@api_access(D.environment, D.housing)
@operation(
    "按国家非道路移动机械平台格式导出登记信息 / Registrations in the national NRMM platform format (?format=json|xlsx)",
    query=ExportQuery,
    resp={200: MachineExport},
    batch=True,  # every registration at once (or an XLSX file): the answer is not validated again
    examples={"response": {"records": [_MACHINE]}},
)
def export_machines() -> Any:
    principal = principal_or_401()
    fmt = query_args(ExportQuery).format
    rows = [
        services.machine_json(m)
        for m in db.session.scalars(scope.scoped(select(Machine), Machine, principal).order_by(Machine.id))
    ]
    if fmt == "json":
        return jsonify({"records": rows})
    county = county_of(principal)
    if scope.allowed_townships(principal) is not None:
        note: str | None = "本乡镇场地的机械"
    else:
        note = None if county is None else f"{county.name}的机械"
    return Response(
        reports.registry_xlsx(rows, unit=unit_for(principal), scope_note=note),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": "attachment; filename=nrmm-registry.xlsx"},
    )


@bp.get("/sites")
@api_access(*ROLES)
@operation(
    "施工场地及其低排放区设置 / Sites and their low-emission zone settings",
    query=PageQuery,
    resp={200: SitePage},
    examples={"response": {"results": [_SITE], "next_cursor": None}},
)
def list_sites() -> Any:
    principal = principal_or_401()
    q = query_args(PageQuery)
    stmt = scope.scoped(select(Site), Site, principal)
    rows, cursor = page(stmt, Site.id, q)
    return jsonify(page_json(rows, cursor, services.site_json))


@bp.post("/sites")
@api_access(D.environment, D.housing)
@operation(
    "新增施工场地 / Add a site",
    json=SiteIn,
    resp={201: SiteOut},
    examples={"request": {k: v for k, v in _SITE.items() if k not in ("id", "county_id")}, "response": _SITE},
)
def add_site() -> Any:
    principal = principal_or_401()
    data = json_body(SiteIn)
    site = services.add_site(data, actor=principal)
    return jsonify(services.site_json(site)), 201


@bp.get("/progress")
@api_access(D.environment, D.housing)
@operation(
    "非道路移动机械进度（按县：工地、在用机械、当月抽查计划完成、抽查与违法） / "
    "Machinery progress per county: sites, machines, the month's sampling done, spot checks and violations",
    query=ProgressQuery,
    resp={200: ProgressOut},
    examples={
        "response": {
            "month": "2026-12",
            "counties": [
                {
                    "county_id": 1,
                    "county_code": "140525",
                    "county": "泽州县",
                    "sites": 15,
                    "machines": 300,
                    "planned": 30,
                    "checked": 21,
                    "not_found": 2,
                    "pending": 7,
                    "checked_share": 0.7,
                    "spot_checks": 24,
                    "violations": 3,
                }
            ],
        }
    },
)
def progress() -> Any:
    """City staff see every county; a county's officer, its own."""
    q = query_args(ProgressQuery)
    month = q.month or local_day(now_utc()).strftime("%Y-%m")
    return jsonify(services.progress(month, actor=principal_or_401()))


@bp.get("/sampling-plans")
@api_access(*ROLES)
@operation(
    "月度抽查计划列表 / Monthly sampling plans",
    resp={200: PlanPage},
    examples={"response": {"results": [_PLAN], "next_cursor": None}},
)
def list_plans() -> Any:
    principal = principal_or_401()
    plans = db.session.scalars(
        scope.scoped(select(SamplingPlan), SamplingPlan, principal).order_by(SamplingPlan.month.desc())
    ).all()
    return jsonify({"results": [services.plan_json(p, actor=principal) for p in plans], "next_cursor": None})


@bp.post("/sampling-plans")
@api_access(D.environment)
@operation(
    "生成某月抽查计划（比例不低于 10%，记录随机种子） / Draw a month's sampling plan (share ≥ 10%, recorded seed)",
    json=PlanIn,
    resp={201: PlanDetailOut},
    examples={"request": {"month": "2026-12", "seed": 20261201, "share": 0.1}, "response": _PLAN_DETAIL},
)
def create_plan() -> Any:
    principal = principal_or_401()
    data = json_body(PlanIn)
    plan = services.create_plan(data, actor=principal)
    return jsonify(services.plan_json(plan, actor=principal, items=True)), 201


@bp.get("/sampling-plans/<month>")
@api_access(*ROLES)
@operation(
    "某月抽查计划及其机械与进度 / One month's plan with its machines and their status",
    resp={200: PlanDetailOut},
    examples={"response": _PLAN_DETAIL},
)
def get_plan(month: str) -> Any:
    principal = principal_or_401()
    plan = services.plan_of_month(month, actor=principal)
    if plan is None:
        raise NotFound(f"no plan for {month}")
    return jsonify(services.plan_json(plan, actor=principal, items=True))


@bp.get("/sampling-plans/<month>/report.xlsx")
@api_access(*ROLES)
@operation(
    "某月抽查计划报表（Excel，含标题、填报单位、说明页） / One month's plan as a filed XLSX report",
    resp={200: None},
)
def plan_report(month: str) -> Any:
    principal = principal_or_401()
    plan = services.plan_of_month(month, actor=principal)
    if plan is None:
        raise NotFound(f"no plan for {month}")
    return Response(
        reports.plan_xlsx(plan, services.item_townships(plan, principal), unit=unit_for(principal)),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f"attachment; filename=nrmm-plan-{plan.month}.xlsx"},
    )


@bp.post("/sampling-plans/items/<int:item_id>/not-found")
@api_access(*ROLES)
@operation(
    "记录抽中的机械未找到 / Record that a sampled machine was not found",
    resp={200: NotFoundOut},
    examples={"response": {"id": 302, "status": "not_found"}},
)
def not_found(item_id: int) -> Any:
    principal = principal_or_401()
    item = services.mark_not_found(item_id, actor=principal)
    return jsonify({"id": item.id, "status": item.status})


@bp.get("/spot-checks")
@api_access(*ROLES)
@operation(
    "抽查结果与违法情形 / Spot-check results with violations",
    query=PageQuery,
    resp={200: SpotCheckPage},
    examples={"response": {"results": [_SPOT_CHECK], "next_cursor": None}},
)
def list_checks() -> Any:
    principal = principal_or_401()
    q = query_args(PageQuery)
    rows, cursor = page(scope.scoped(select(SpotCheck), SpotCheck, principal), SpotCheck.id, q)
    return jsonify(page_json(rows, cursor, services.spot_check_json))


@bp.post("/spot-checks")
@api_access(*ROLES)
@operation(
    "录入抽查结果（自由加速烟度、林格曼黑度），违法情形附第一百一十四条处罚 / "
    "Record a spot check (free acceleration k, Ringelmann); violations carry art. 114 penalties",
    json=SpotCheckIn,
    resp={201: SpotCheckOut},
    examples={
        "request": {
            "machine_id": 57,
            "site_id": 4,
            "checked_at": "2026-12-07T10:30:00+08:00",
            "k_readings": [0.82, 0.79, 0.85],
            "ringelmann": 1,
            "enforcement": True,
            "officers": _SPOT_CHECK["officers"],
        },
        "response": _SPOT_CHECK,
    },
)
def record_check() -> Any:
    principal = principal_or_401()
    data = json_body(SpotCheckIn)
    check = services.record_spot_check(data, actor=principal)
    return jsonify(services.spot_check_json(check)), 201


_OFFICERS = [{"name": "李执法", "certificate_no": "14050101"}, {"name": "王执法", "certificate_no": "14050102"}]


@bp.post("/spot-checks/<int:check_id>/penalty-actions")
@api_access(*ROLES)
@operation(
    "机械处罚程序：事先告知、送达、陈述申辩、处罚决定（依据处罚依据数据，由法定部门作出）/ "
    "Machinery penalty: prior notice, service, answer, decision (basis from the penalty-basis data; its "
    "department imposes it; two officers on every step; only an enforcement spot check can back it)",
    json=ActionIn,
    resp={200: SpotCheckPenaltyOut},
    examples={
        "request": {
            "action": "prior_notice",
            "basis": "apl_114_1",
            "facts": "在用非道路移动机械排放超标",
            "officers": _OFFICERS,
        },
        "response": {**_SPOT_CHECK, "documents": []},
    },
)
def penalty_action(check_id: int) -> Any:
    principal = principal_or_401()
    check = penalties.act(check_id, json_body(ActionIn), actor=principal)
    return jsonify(penalties.penalty_json(check))
