"""JSON API: machines, sites, monthly sampling plans and spot checks (environment, housing, township)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from flask import Blueprint, Response, jsonify, request
from pydantic import AwareDatetime, Field
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.openapi import Out, Page, json_body, operation, query_args
from vehicle_enforce.core.pagination import PageQuery, page, page_json
from vehicle_enforce.core.schemas import Schema
from vehicle_enforce.core.spreadsheets import to_xlsx_bytes
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm import services
from vehicle_enforce.nrmm.models import Machine, SamplingPlan, Site, SpotCheck

bp = Blueprint("nrmm_api", __name__, url_prefix="/api/v1/nrmm")
ROLES = (D.environment, D.housing, D.township)
MachineType = Literal["excavator", "loader", "forklift", "crane", "roller", "bulldozer", "paver", "grader", "other"]


class MachineIn(Schema):
    stored_as = (Machine,)
    pin: str = Field(min_length=4, max_length=32)
    env_code: str | None = Field(default=None, max_length=32)
    machine_type: MachineType
    brand: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=64)
    production_date: date | None = None
    emission_stage: int | None = Field(default=None, ge=1, le=4)
    fuel: Literal["diesel", "gasoline", "natural_gas", "electric", "other"] = "diesel"
    engine_model: str | None = Field(default=None, max_length=64)
    engine_maker: str | None = Field(default=None, max_length=64)
    engine_number: str | None = Field(default=None, max_length=64)
    rated_power_kw: float = Field(gt=0, le=5000)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    site_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    acquired_on: date | None = None
    registered_on: date | None = None


class SiteIn(Schema):
    stored_as = (Site,)
    name: str = Field(min_length=1, max_length=128)
    kind: Literal["construction", "logistics", "mine", "factory", "other"]
    township_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    location: str | None = Field(default=None, max_length=256)
    low_emission_zone: bool = False
    zone_min_stage: int | None = Field(default=None, ge=1, le=4)
    zone_class: Literal["I", "II", "III"] | None = None


class PlanIn(Schema):
    stored_as = (SamplingPlan,)
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    share: float = Field(default=0.10, ge=0.10, le=1.0)


class SpotCheckIn(Schema):
    stored_as = (SpotCheck,)
    machine_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    pin: str | None = Field(default=None, max_length=32)
    site_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    checked_at: AwareDatetime
    k_readings: list[Annotated[float, Field(ge=0, le=20)]] = Field(min_length=3, max_length=10)
    ringelmann: int | None = Field(default=None, ge=0, le=5)
    rated_power_kw: float | None = Field(default=None, gt=0, le=5000)
    emission_stage: int | None = Field(default=None, ge=1, le=4)


class MachineQuery(PageQuery):
    site_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    overdue: bool | None = None


def _site_in_scope(principal: Actor, site_id: int | None) -> None:
    """A site named in a body must exist and be the caller's; a township must name one."""
    if site_id is not None and not scope.visible(Site, site_id, principal):
        raise Invalid("unknown site", {"site_id": "unknown site"})
    if site_id is None and scope.allowed_townships(principal) is not None:
        raise Invalid("a township acts only at sites of its own township", {"site_id": "required"})


class NotFoundOut(Out):
    id: int
    status: str


@bp.get("/machines")
@api_access(*ROLES)
@operation(
    "已登记的非道路移动机械 / Registered machines (township users see their township's sites)",
    query=MachineQuery,
    resp={200: Page},
)
def list_machines() -> Any:
    principal = principal_or_401()
    q = query_args(MachineQuery)
    if q.overdue:
        return jsonify(
            {
                "results": [services.machine_json(m) for m in services.overdue_registrations(principal)],
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
    resp={201: Out},
)
def register() -> Any:
    principal = principal_or_401()
    data = json_body(MachineIn)
    _site_in_scope(principal, data.site_id)
    machine = services.register_machine(data.model_dump(), principal)
    return jsonify(services.machine_json(machine)), 201


@bp.get("/machines/export")
@api_access(D.environment, D.housing)
@operation(
    "按国家非道路移动机械平台格式导出登记信息 / Registrations in the national NRMM platform format (?format=json|xlsx)",
    resp={200: None},
)
def export_machines() -> Any:
    principal = principal_or_401()
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "xlsx"):
        raise Invalid("format must be json or xlsx", {"format": "json or xlsx"})
    rows = [
        services.machine_json(m)
        for m in db.session.scalars(scope.scoped(select(Machine), Machine, principal).order_by(Machine.id))
    ]
    if fmt == "json":
        return jsonify({"records": rows})
    import pandas as pd

    return Response(
        to_xlsx_bytes({"非道路移动机械": pd.DataFrame(rows)}),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@bp.get("/sites")
@api_access(*ROLES)
@operation("施工场地及其低排放区设置 / Sites and their low-emission zone settings", query=PageQuery, resp={200: Page})
def list_sites() -> Any:
    principal = principal_or_401()
    q = query_args(PageQuery)
    stmt = scope.scoped(select(Site), Site, principal)
    rows, cursor = page(stmt, Site.id, q)
    return jsonify(page_json(rows, cursor, services.site_json))


@bp.post("/sites")
@api_access(D.environment, D.housing)
@operation("新增施工场地 / Add a site", json=SiteIn, resp={201: Out})
def add_site() -> Any:
    principal = principal_or_401()
    data = json_body(SiteIn)
    site = services.add_site(data.model_dump(), actor=principal)
    return jsonify(services.site_json(site)), 201


@bp.get("/sampling-plans")
@api_access(*ROLES)
@operation("月度抽查计划列表 / Monthly sampling plans", resp={200: Page})
def list_plans() -> Any:
    principal = principal_or_401()
    plans = db.session.scalars(
        scope.scoped(select(SamplingPlan), SamplingPlan, principal).order_by(SamplingPlan.month.desc())
    ).all()
    return jsonify({"results": [services.plan_json(p, principal) for p in plans], "next_cursor": None})


@bp.post("/sampling-plans")
@api_access(D.environment)
@operation(
    "生成某月抽查计划（比例不低于 10%，记录随机种子） / Draw a month's sampling plan (share ≥ 10%, recorded seed)",
    json=PlanIn,
    resp={201: Out},
)
def create_plan() -> Any:
    principal = principal_or_401()
    data = json_body(PlanIn)
    plan = services.create_plan(data.month, data.seed, data.share, principal)
    return jsonify(services.plan_json(plan, principal, items=True)), 201


@bp.get("/sampling-plans/<month>")
@api_access(*ROLES)
@operation("某月抽查计划及其机械与进度 / One month's plan with its machines and their status", resp={200: Out})
def get_plan(month: str) -> Any:
    principal = principal_or_401()
    plan = db.session.scalar(
        scope.scoped(select(SamplingPlan).where(SamplingPlan.month == month), SamplingPlan, principal)
    )
    if plan is None:
        raise NotFound(f"no plan for {month}")
    return jsonify(services.plan_json(plan, principal, items=True))


@bp.post("/sampling-plans/items/<int:item_id>/not-found")
@api_access(*ROLES)
@operation("记录抽中的机械未找到 / Record that a sampled machine was not found", resp={200: NotFoundOut})
def not_found(item_id: int) -> Any:
    principal = principal_or_401()
    item = services.mark_not_found(item_id, principal)
    return jsonify({"id": item.id, "status": item.status})


@bp.get("/spot-checks")
@api_access(*ROLES)
@operation("抽查结果与违法情形 / Spot-check results with violations", query=PageQuery, resp={200: Page})
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
    resp={201: Out},
)
def record_check() -> Any:
    principal = principal_or_401()
    data = json_body(SpotCheckIn)
    check = services.record_spot_check(data.model_dump(), principal)
    return jsonify(services.spot_check_json(check)), 201
