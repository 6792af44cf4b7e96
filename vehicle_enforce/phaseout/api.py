"""JSON API for the phase-out: eligible vehicles, quotas, actions, progress (JSON, CSV, XLSX, charts), alerts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.auth.services import township_by_name_or_code
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Forbidden
from vehicle_enforce.core.openapi import json_body, operation, query_args
from vehicle_enforce.core.pagination import keyset_page
from vehicle_enforce.phaseout import actions, charts, eligibility, quotas, reports, sightings
from vehicle_enforce.phaseout import progress as phaseout_progress
from vehicle_enforce.phaseout.models import PhaseoutAction, SeenAgainAlert
from vehicle_enforce.phaseout.rules import current_rules
from vehicle_enforce.phaseout.schemas import (
    ActionIn,
    ActionOut,
    ActionPage,
    ActionsQuery,
    AlertsQuery,
    EligiblePage,
    EligibleQuery,
    EligibleVehicleOut,
    HandleIn,
    PeriodList,
    PeriodOut,
    ProgressOut,
    ProgressQuery,
    QuotasIn,
    QuotasQuery,
    SeenAgainOut,
    SeenAgainPage,
)
from vehicle_enforce.summary.units import unit_for
from vehicle_enforce.vehicles.models import Vehicle

bp = Blueprint("phaseout_api", __name__, url_prefix="/api/v1/phaseout")

READERS = (Department.transport, Department.environment, Department.township)
ALERT_READERS = (Department.environment, Department.police, Department.transport)
ALERT_HANDLERS = (Department.environment, Department.police)


_VEHICLE = {
    "id": 301,
    "plate": "晋E12345",
    "plate_color": "yellow",
    "vehicle_type": "heavy_truck",
    "fuel": "diesel",
    "emission_standard": 3,
    "registration_date": "2011-04-18",
    "lean_burn": None,
    "gas_converted": None,
    "township_id": 3,
    "owner_id": 12,
    "status": "active",
    "reasons": ["china3_diesel"],
    "standard_inferred": False,
}
_MILESTONES = [
    {"due": "2019-12-31", "percent": 40.0, "source": "transport"},
    {"due": "2020-12-31", "percent": 100.0, "source": "transport"},
]
_PERIOD = {
    "period": "2019-2020",
    "starts_on": "2019-01-01",
    "milestones": _MILESTONES,
    "quotas": [
        {"township_id": 3, "township_code": "bagong", "township": "巴公镇", "quota": 120},
        {"township_id": 5, "township_code": "gaodu", "township": "高都镇", "quota": 80},
    ],
}
_ACTION = {
    "id": 41,
    "vehicle_id": 301,
    "plate": "晋E12345",
    "plate_color": "yellow",
    "township_id": 3,
    "kind": "scrapped",
    "action_date": "2019-10-15",
    "certificate_no": "1405251234567890",
    "destination": None,
    "subsidy_amount": "18000.00",
    "evidence_files": ["phaseout/晋E12345-报废证明.jpg"],
    "note": "车主自愿提前报废",
    "recorded_by": "泽州县交通运输局 李强",
    "created_at": "2019-10-15T02:30:00+00:00",
}
_PROGRESS_ROW = {
    "done": 52,
    "quota": 120,
    "percent": 43.3,
    "eligible_remaining": 70,
    "milestone_target": 48,
    "weekly_rate": 3.25,
    "projected_at_milestone": 60.5,
    "on_track": True,
}
_SEEN_AGAIN = {
    "id": 7,
    "vehicle_id": 301,
    "plate": "晋E12345",
    "plate_color": "yellow",
    "action_id": 41,
    "action": "scrapped",
    "action_date": "2019-10-15",
    "registry_status": "scrapped",
    "seen_at": "2019-10-24T00:05:00+00:00",
    "source": "remote_sensing",
    "location": "JC-RS-01",
    "state": "handled",
    "handled_by": "泽州县公安交警大队 赵刚",
    "handled_department": "police",
    "handled_at": "2019-10-24T03:40:00+00:00",
    "handling_note": "已移交交警查处",
}


def _township_scope(principal: Actor, requested: str | None) -> list[int] | None:
    """The townships the caller's phase-out answer covers (`auth.scope` decides): its own (a township),
    its county's (a county), the one it names within them, or None (the city level: every township)."""
    own = scope.allowed_townships(principal)
    if own is not None and len(own) != 1:
        raise Forbidden("this account is not tied to one township")
    allowed = scope.county_townships(principal)
    if requested is None:
        return allowed
    wanted = township_by_name_or_code(requested).id
    if allowed is not None and wanted not in allowed:
        raise Forbidden("a township or county account sees its own townships only")
    return [wanted]


def _one_township(principal: Actor) -> bool:
    return scope.allowed_townships(principal) is not None


@bp.get("/eligible")
@api_access(*READERS)
@operation(
    "仍须淘汰的车辆（国三及以下柴油货车、稀薄燃烧/改装燃气车） / "
    "Vehicles that must still be phased out (国三-or-older diesel trucks, lean-burn/converted gas)",
    query=EligibleQuery,
    resp={200: EligiblePage},
    examples={"response": {"results": [_VEHICLE], "next_cursor": "eyJpZCI6IDMwMX0"}},
)
def eligible() -> Any:
    principal = principal_or_401()
    query = query_args(EligibleQuery)
    township_ids = _township_scope(principal, query.township)
    stmt = eligibility.eligible_query(current_rules(), township_ids=township_ids, reason=query.reason)
    stmt = scope.scoped(stmt, Vehicle, principal)
    return jsonify(
        keyset_page(stmt, Vehicle.id, query, lambda row: EligibleVehicleOut.of(row[0]).model_dump(mode="json"))
    )


@bp.get("/quotas")
@api_access(*READERS)
@operation(
    "淘汰周期及其节点目标与乡镇任务 / Phase-out periods with their milestones and township quotas",
    query=QuotasQuery,
    resp={200: PeriodList},
    examples={"response": {"results": [_PERIOD], "next_cursor": None}},
)
def list_quotas() -> Any:
    principal = principal_or_401()
    query = query_args(QuotasQuery)
    township_ids = _township_scope(principal, None)
    periods = quotas.list_periods()
    if query.period is not None:
        periods = [p for p in periods if p.code == query.period]
    return jsonify(
        PeriodList(results=[quotas.period_out(p, township_ids) for p in periods], next_cursor=None).model_dump(
            mode="json"
        )
    )


@bp.post("/quotas")
@api_access(Department.transport)
@operation(
    "设定周期起始、节点目标与乡镇任务 / "
    "Set a period's start, milestones and township quotas (unchanged values are left alone)",
    json=QuotasIn,
    resp={200: PeriodOut},
    examples={
        "request": {
            "period": "2019-2020",
            "starts_on": "2019-01-01",
            "milestones": [{"due": "2019-12-31", "percent": 40}, {"due": "2020-12-31", "percent": 100}],
            "quotas": [{"township": "bagong", "quota": 120}, {"township": "高都镇", "quota": 80}],
        },
        "response": _PERIOD,
    },
)
def set_quotas() -> Any:
    principal = principal_or_401()
    period = quotas.set_quotas(json_body(QuotasIn), actor=principal)
    return jsonify(quotas.period_out(period, scope.county_townships(principal)).model_dump(mode="json"))


@bp.post("/actions")
@api_access(Department.transport)
@operation(
    "记录淘汰措施（报废、注销、转出），重试返回首次结果 / "
    "Record a phase-out action (scrapped / deregistered / transferred out); a retry returns the first",
    json=ActionIn,
    resp={201: ActionOut, 200: ActionOut},
    examples={
        "request": {
            "kind": "scrapped",
            "action_date": "2019-10-15",
            "plate": "晋E12345",
            "plate_color": "yellow",
            "certificate_no": "1405251234567890",
            "subsidy_amount": "18000.00",
            "evidence_files": ["phaseout/晋E12345-报废证明.jpg"],
            "note": "车主自愿提前报废",
        },
        "response": _ACTION,
    },
)
def record_action() -> Any:
    principal = principal_or_401()
    action, created = actions.record_action(json_body(ActionIn), actor=principal)
    return jsonify(actions.action_json(action)), 201 if created else 200


@bp.get("/actions")
@api_access(*READERS)
@operation(
    "已记录的淘汰措施 / Recorded phase-out actions",
    query=ActionsQuery,
    resp={200: ActionPage},
    examples={"response": {"results": [_ACTION], "next_cursor": None}},
)
def list_actions() -> Any:
    principal = principal_or_401()
    query = query_args(ActionsQuery)
    township_ids = _township_scope(principal, query.township)
    stmt = select(PhaseoutAction)
    if township_ids is not None:
        stmt = stmt.where(PhaseoutAction.township_id.in_(township_ids))
    return jsonify(keyset_page(stmt, PhaseoutAction.id, query, lambda row: actions.action_json(row[0])))


def _progress_report() -> dict[str, Any]:
    principal = principal_or_401()
    query = query_args(ProgressQuery)
    township_ids = _township_scope(principal, None)
    as_of = query.as_of or eligibility.today_local()
    return phaseout_progress.progress(
        as_of, period_code=query.period, township_ids=township_ids, one_township=_one_township(principal)
    )


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/progress")
@api_access(*READERS)
@operation(
    "各乡镇与全县淘汰进度（完成数、任务数、百分比、是否按期） / "
    "Done / quota / percent / on track per township and for the county",
    query=ProgressQuery,
    resp={200: ProgressOut},
    examples={
        "response": {
            "as_of": "2019-10-31",
            "period": "2019-2020",
            "period_starts_on": "2019-01-01",
            "milestones": _MILESTONES,
            "next_milestone": _MILESTONES[0],
            "rate_window_days": 28,
            "townships": [{"township_id": 3, "township_code": "bagong", "township": "巴公镇", **_PROGRESS_ROW}],
            "county": _PROGRESS_ROW,
        }
    },
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
        reports.progress_xlsx(report, unit=unit_for(principal_or_401())),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"phaseout-progress-{report['as_of']}.xlsx",
    )


def _chart(fmt: str) -> Response:
    principal = principal_or_401()
    query = query_args(ProgressQuery)
    drawn = charts.chart(
        query.as_of or eligibility.today_local(),
        fmt,
        period_code=query.period,
        township_ids=_township_scope(principal, None),
        one_township=_one_township(principal),
    )
    return chart_response(drawn)


def chart_response(drawn: charts.Chart) -> Response:
    """The chart, revalidated by the browser with the digest of its inputs (304 when unchanged)."""
    response = Response(drawn.body, mimetype=drawn.mimetype)
    response.set_etag(drawn.digest)
    response.cache_control.private = True
    response.cache_control.no_cache = True  # revalidate each time: a new action changes the chart
    response.make_conditional(request)
    return response


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
    resp={200: SeenAgainPage},
    examples={"response": {"results": [_SEEN_AGAIN], "next_cursor": None}},
)
def seen_again() -> Any:
    principal = principal_or_401()
    query = query_args(AlertsQuery)
    stmt = scope.scoped(select(SeenAgainAlert), SeenAgainAlert, principal)
    if query.state is not None:
        stmt = stmt.where(SeenAgainAlert.state == query.state.value)
    return jsonify(keyset_page(stmt, SeenAgainAlert.id, query, lambda row: sightings.alert_json(row[0])))


@bp.post("/seen-again/<int:alert_id>/handle")
@api_access(*ALERT_HANDLERS)
@operation(
    "标记再次上路告警已处理（记录处理人） / Mark a seen-again alert handled, recording who handled it",
    json=HandleIn,
    resp={200: SeenAgainOut},
    examples={"request": {"note": "已移交交警查处"}, "response": _SEEN_AGAIN},
)
def handle_seen_again(alert_id: int) -> Any:
    principal = principal_or_401()
    data = json_body(HandleIn)
    alert = sightings.handle_alert(alert_id, data, actor=principal)
    return jsonify(sightings.alert_json(alert))
