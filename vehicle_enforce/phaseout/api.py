"""JSON API for the phase-out: eligible vehicles, quotas, actions, progress (JSON, CSV, XLSX, charts), alerts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from flask import Blueprint, Response, jsonify
from pydantic import Field
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.auth.services import township_by_name_or_code
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Forbidden
from vehicle_enforce.core.openapi import Out, Page, json_body, operation, query_args
from vehicle_enforce.core.pagination import PageQuery, keyset_page
from vehicle_enforce.core.schemas import QuerySchema, Schema
from vehicle_enforce.phaseout import actions, eligibility, quotas, reports, sightings
from vehicle_enforce.phaseout import progress as phaseout_progress
from vehicle_enforce.phaseout.models import ActionKind, AlertState, PhaseoutAction, SeenAgainAlert
from vehicle_enforce.phaseout.rules import current_rules
from vehicle_enforce.vehicles.models import Vehicle

bp = Blueprint("phaseout_api", __name__, url_prefix="/api/v1/phaseout")

READERS = (Department.transport, Department.environment, Department.township)
ALERT_READERS = (Department.environment, Department.police, Department.transport)
ALERT_HANDLERS = (Department.environment, Department.police)


class MilestoneIn(Schema):
    due: date
    percent: float = Field(ge=0, le=100, description="share of the quota, above 0")


class QuotaItemIn(Schema):
    township: str = Field(min_length=1, max_length=64, description="township code or name")
    quota: int = Field(ge=0, le=1_000_000)


class QuotasIn(Schema):
    period: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_-]+$")
    starts_on: date | None = None
    milestones: list[MilestoneIn] | None = Field(default=None, max_length=20)
    quotas: list[QuotaItemIn] = Field(default_factory=list, max_length=500)


class QuotasQuery(QuerySchema):
    period: str | None = Field(default=None, max_length=32)


class ActionIn(Schema):
    stored_as = (
        PhaseoutAction,
        Vehicle,
    )
    kind: ActionKind
    action_date: date
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    plate: str | None = Field(default=None, min_length=1, max_length=16)
    plate_color: str | None = Field(default=None, min_length=1, max_length=16)
    certificate_no: str | None = Field(default=None, max_length=64)
    destination: str | None = Field(default=None, max_length=128)
    subsidy_amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    # Names of evidence files already stored (photos of the certificate, the deregistration slip...).
    evidence_files: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        default_factory=list, max_length=20
    )
    note: str | None = Field(default=None, max_length=2000)


class EligibleQuery(PageQuery):
    township: str | None = Field(default=None, max_length=64)
    reason: Literal["diesel", "gas"] | None = None


class ActionsQuery(PageQuery):
    township: str | None = Field(default=None, max_length=64)


class ProgressQuery(QuerySchema):
    as_of: date | None = None
    period: str | None = Field(default=None, max_length=32)


class AlertsQuery(PageQuery):
    state: AlertState | None = None


class HandleIn(Schema):
    stored_as = (SeenAgainAlert,)
    note: str = Field(min_length=1, max_length=2000)


def _township_scope(principal: Actor, requested: str | None) -> int | None:
    """A township caller sees its own township only (`auth.scope` decides which); others may name one."""
    allowed = scope.allowed_townships(principal)
    if allowed is not None:
        if len(allowed) != 1:
            raise Forbidden("this account is not tied to one township")
        if requested is not None and township_by_name_or_code(requested).id not in allowed:
            raise Forbidden("a township account sees its own township only")
        return allowed[0]
    return township_by_name_or_code(requested).id if requested else None


def _vehicle_json(vehicle: Vehicle) -> dict[str, Any]:
    why = eligibility.eligibility_of(vehicle) or {"reasons": [], "inferred": False}
    return {
        "id": vehicle.id,
        "plate": vehicle.plate,
        "plate_color": vehicle.plate_color,
        "vehicle_type": vehicle.vehicle_type,
        "fuel": vehicle.fuel,
        "emission_standard": vehicle.emission_standard,
        "registration_date": vehicle.registration_date.isoformat() if vehicle.registration_date else None,
        "lean_burn": vehicle.lean_burn,
        "gas_converted": vehicle.gas_converted,
        "township_id": vehicle.township_id,
        "owner_id": vehicle.owner_id,
        "status": vehicle.status,
        "reasons": why["reasons"],
        "standard_inferred": why["inferred"],
    }


@bp.get("/eligible")
@api_access(*READERS)
@operation(
    "仍须淘汰的车辆（国三及以下柴油货车、稀薄燃烧/改装燃气车） / "
    "Vehicles that must still be phased out (国三-or-older diesel trucks, lean-burn/converted gas)",
    query=EligibleQuery,
    resp={200: Page},
)
def eligible() -> Any:
    principal = principal_or_401()
    query = query_args(EligibleQuery)
    township_id = _township_scope(principal, query.township)
    stmt = eligibility.eligible_query(current_rules(), township_id=township_id, reason=query.reason)
    stmt = scope.scoped(stmt, Vehicle, principal)
    return jsonify(keyset_page(stmt, Vehicle.id, query, lambda row: _vehicle_json(row[0])))


def _quotas_json(period: Any, township_id: int | None = None) -> dict[str, Any]:
    return {
        "period": period.code,
        "starts_on": period.starts_on.isoformat(),
        "milestones": [m.as_json() for m in quotas.milestones_of(period, current_rules())],
        "quotas": [
            {
                "township_id": q.township_id,
                "township_code": q.township.code,
                "township": q.township.name,
                "quota": q.quota,
            }
            for q in sorted(period.quotas, key=lambda q: q.township_id)
            if township_id is None or q.township_id == township_id
        ],
    }


@bp.get("/quotas")
@api_access(*READERS)
@operation(
    "淘汰周期及其节点目标与乡镇任务 / Phase-out periods with their milestones and township quotas",
    query=QuotasQuery,
    resp={200: Page},
)
def list_quotas() -> Any:
    principal = principal_or_401()
    query = query_args(QuotasQuery)
    township_id = _township_scope(principal, None)
    periods = quotas.list_periods()
    if query.period is not None:
        periods = [p for p in periods if p.code == query.period]
    return jsonify({"results": [_quotas_json(p, township_id) for p in periods], "next_cursor": None})


@bp.post("/quotas")
@api_access(Department.transport)
@operation(
    "设定周期起始、节点目标与乡镇任务 / "
    "Set a period's start, milestones and township quotas (unchanged values are left alone)",
    json=QuotasIn,
    resp={200: Out},
)
def set_quotas() -> Any:
    principal_or_401()
    data = json_body(QuotasIn)
    period = quotas.set_quotas(
        data.period,
        [quotas.QuotaIn(q.township, q.quota) for q in data.quotas],
        starts_on=data.starts_on,
        milestones=[(m.due, m.percent) for m in data.milestones] if data.milestones is not None else None,
    )
    return jsonify(_quotas_json(period))


@bp.post("/actions")
@api_access(Department.transport)
@operation(
    "记录淘汰措施（报废、注销、转出），重试返回首次结果 / "
    "Record a phase-out action (scrapped / deregistered / transferred out); a retry returns the first",
    json=ActionIn,
    resp={201: Out, 200: Out},
)
def record_action() -> Any:
    principal = principal_or_401()
    data = json_body(ActionIn)
    action, created = actions.record_action(
        actions.ActionIn(
            kind=data.kind.value,
            action_date=data.action_date,
            vehicle_id=data.vehicle_id,
            plate=data.plate,
            plate_color=data.plate_color,
            certificate_no=data.certificate_no,
            destination=data.destination,
            subsidy_amount=data.subsidy_amount,
            evidence_files=tuple(data.evidence_files),
            note=data.note,
        ),
        actor=principal,
    )
    return jsonify(actions.action_json(action)), 201 if created else 200


@bp.get("/actions")
@api_access(*READERS)
@operation("已记录的淘汰措施 / Recorded phase-out actions", query=ActionsQuery, resp={200: Page})
def list_actions() -> Any:
    principal = principal_or_401()
    query = query_args(ActionsQuery)
    township_id = _township_scope(principal, query.township)
    stmt = select(PhaseoutAction)
    if township_id is not None:
        stmt = stmt.where(PhaseoutAction.township_id == township_id)
    return jsonify(keyset_page(stmt, PhaseoutAction.id, query, lambda row: actions.action_json(row[0])))


def _progress_report() -> dict[str, Any]:
    principal = principal_or_401()
    query = query_args(ProgressQuery)
    township_id = _township_scope(principal, None)
    as_of = query.as_of or eligibility.today_local()
    return phaseout_progress.progress(as_of, period_code=query.period, township_id=township_id)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/progress")
@api_access(*READERS)
@operation(
    "各乡镇与全县淘汰进度（完成数、任务数、百分比、是否按期） / "
    "Done / quota / percent / on track per township and for the county",
    query=ProgressQuery,
    resp={200: Out},
)
def progress() -> Any:
    return jsonify(_progress_report())


@bp.get("/progress.csv")
@api_access(*READERS)
@operation(
    "淘汰进度 CSV（带 BOM 的 UTF-8，便于 Excel） / Progress as CSV (UTF-8 with BOM for Excel)",
    query=ProgressQuery,
    resp={200: None},
)
def progress_csv() -> Any:
    report = _progress_report()
    return _download(reports.progress_csv(report), "text/csv", f"phaseout-progress-{report['as_of']}.csv")


@bp.get("/progress.xlsx")
@api_access(*READERS)
@operation("淘汰进度 Excel 工作簿 / Progress as an Excel workbook", query=ProgressQuery, resp={200: None})
def progress_xlsx() -> Any:
    report = _progress_report()
    return _download(
        reports.progress_xlsx(report),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"phaseout-progress-{report['as_of']}.xlsx",
    )


def _chart(fmt: str) -> Response:
    principal = principal_or_401()
    query = query_args(ProgressQuery)
    township_id = _township_scope(principal, None)
    as_of = query.as_of or eligibility.today_local()
    report, cumulative = phaseout_progress.cumulative_by_township(
        as_of, period_code=query.period, township_id=township_id
    )
    mimetype = "image/png" if fmt == "png" else "image/svg+xml"
    return Response(reports.progress_chart(report, cumulative, fmt), mimetype=mimetype)


@bp.get("/progress/chart.png")
@api_access(*READERS)
@operation(
    "各乡镇累计进度与节点目标对比图（PNG） / Cumulative progress against the milestone line per township (PNG)",
    query=ProgressQuery,
    resp={200: None},
)
def progress_chart_png() -> Any:
    return _chart("png")


@bp.get("/progress/chart.svg")
@api_access(*READERS)
@operation(
    "各乡镇累计进度与节点目标对比图（SVG） / Cumulative progress against the milestone line per township (SVG)",
    query=ProgressQuery,
    resp={200: None},
)
def progress_chart_svg() -> Any:
    return _chart("svg")


@bp.get("/seen-again")
@api_access(*ALERT_READERS)
@operation(
    "已淘汰车辆再次上路的告警 / Phased-out vehicles seen again on the road (open first by id)",
    query=AlertsQuery,
    resp={200: Page},
)
def seen_again() -> Any:
    principal_or_401()
    query = query_args(AlertsQuery)
    stmt = select(SeenAgainAlert)
    if query.state is not None:
        stmt = stmt.where(SeenAgainAlert.state == query.state.value)
    return jsonify(keyset_page(stmt, SeenAgainAlert.id, query, lambda row: sightings.alert_json(row[0])))


@bp.post("/seen-again/<int:alert_id>/handle")
@api_access(*ALERT_HANDLERS)
@operation(
    "标记再次上路告警已处理（记录处理人） / Mark a seen-again alert handled, recording who handled it",
    json=HandleIn,
    resp={200: Out},
)
def handle_seen_again(alert_id: int) -> Any:
    principal = principal_or_401()
    data = json_body(HandleIn)
    alert = sightings.handle_alert(alert_id, data.note, actor=principal)
    return jsonify(sightings.alert_json(alert))
