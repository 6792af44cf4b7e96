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
from vehicle_enforce.core import transaction
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.openapi import doc
from vehicle_enforce.core.pagination import PageQuery, page, page_json
from vehicle_enforce.core.schemas import Schema, parse_body, parse_query
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


@bp.get("/machines")
@api_access(*ROLES)
@doc("Registered machines (township users see their township's sites)", query=MachineQuery, tags=["nrmm"])
def list_machines() -> Any:
    principal = principal_or_401()
    q = parse_query(MachineQuery)
    if q.overdue:
        return jsonify(
            {"results": [services.machine_json(m) for m in services.overdue_registrations()], "next_cursor": None}
        )
    stmt = scope.scoped(select(Machine), Machine, principal)
    if q.site_id:
        stmt = stmt.where(Machine.site_id == q.site_id)
    rows, cursor = page(stmt, Machine.id, q)
    return jsonify(page_json(rows, cursor, services.machine_json))


@bp.post("/machines")
@api_access(*ROLES)
@doc("Register a machine (code issued by the platform or generated here)", body=MachineIn, status=201, tags=["nrmm"])
def register() -> Any:
    principal = principal_or_401()
    data = parse_body(MachineIn)
    _site_in_scope(principal, data.site_id)
    machine = services.register_machine(data.model_dump(), principal.name)
    transaction.commit()
    return jsonify(services.machine_json(machine)), 201


@bp.get("/machines/export")
@api_access(D.environment, D.housing)
@doc("Registrations in the national NRMM platform format (?format=json|xlsx)", tags=["nrmm"])
def export_machines() -> Any:
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "xlsx"):
        raise Invalid("format must be json or xlsx", {"format": "json or xlsx"})
    rows = [
        services.machine_json(m)
        for m in db.session.scalars(scope.scoped(select(Machine), Machine).order_by(Machine.id))
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
@doc("Sites and their low-emission zone settings", query=PageQuery, tags=["nrmm"])
def list_sites() -> Any:
    principal = principal_or_401()
    q = parse_query(PageQuery)
    stmt = scope.scoped(select(Site), Site, principal)
    rows, cursor = page(stmt, Site.id, q)
    return jsonify(page_json(rows, cursor, services.site_json))


@bp.post("/sites")
@api_access(D.environment, D.housing)
@doc("Add a site", body=SiteIn, status=201, tags=["nrmm"])
def add_site() -> Any:
    principal = principal_or_401()
    data = parse_body(SiteIn)
    site = services.add_site(data.model_dump(), actor=principal)
    transaction.commit()
    return jsonify(services.site_json(site)), 201


@bp.get("/sampling-plans")
@api_access(*ROLES)
@doc("Monthly sampling plans", tags=["nrmm"])
def list_plans() -> Any:
    plans = db.session.scalars(
        scope.scoped(select(SamplingPlan), SamplingPlan).order_by(SamplingPlan.month.desc())
    ).all()
    return jsonify({"results": [services.plan_json(p) for p in plans], "next_cursor": None})


@bp.post("/sampling-plans")
@api_access(D.environment)
@doc("Draw a month's sampling plan (share ≥ 10%, recorded seed)", body=PlanIn, status=201, tags=["nrmm"])
def create_plan() -> Any:
    principal = principal_or_401()
    data = parse_body(PlanIn)
    plan = services.create_plan(data.month, data.seed, data.share, principal.name)
    transaction.commit()
    return jsonify(services.plan_json(plan, items=True)), 201


@bp.get("/sampling-plans/<month>")
@api_access(*ROLES)
@doc("One month's plan with its machines and their status", tags=["nrmm"])
def get_plan(month: str) -> Any:
    plan = db.session.scalar(scope.scoped(select(SamplingPlan).where(SamplingPlan.month == month), SamplingPlan))
    if plan is None:
        raise NotFound(f"no plan for {month}")
    return jsonify(services.plan_json(plan, items=True))


@bp.post("/sampling-plans/items/<int:item_id>/not-found")
@api_access(*ROLES)
@doc("Record that a sampled machine was not found", tags=["nrmm"])
def not_found(item_id: int) -> Any:
    item = services.mark_not_found(item_id)
    transaction.commit()
    return jsonify({"id": item.id, "status": item.status})


@bp.get("/spot-checks")
@api_access(*ROLES)
@doc("Spot-check results with violations", query=PageQuery, tags=["nrmm"])
def list_checks() -> Any:
    q = parse_query(PageQuery)
    rows, cursor = page(scope.scoped(select(SpotCheck), SpotCheck), SpotCheck.id, q)
    return jsonify(page_json(rows, cursor, services.spot_check_json))


@bp.post("/spot-checks")
@api_access(*ROLES)
@doc(
    "Record a spot check (free acceleration k, Ringelmann); violations carry art. 114 penalties",
    body=SpotCheckIn,
    status=201,
    tags=["nrmm"],
)
def record_check() -> Any:
    principal = principal_or_401()
    data = parse_body(SpotCheckIn)
    check = services.record_spot_check(data.model_dump(), principal.name)
    transaction.commit()
    return jsonify(services.spot_check_json(check)), 201
