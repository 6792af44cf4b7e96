"""JSON API: transmission rate, reconciliation, rejected records and resending."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.core.openapi import json_body, operation, query_args
from vehicle_enforce.core.pagination import page, page_json
from vehicle_enforce.core.spreadsheets import XLSX_MIMETYPE
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.exports import reports, services
from vehicle_enforce.exports.models import ExportRecord
from vehicle_enforce.exports.schemas import (
    FailedQuery,
    MissingQuery,
    RecordList,
    RecordOut,
    RecordPage,
    ResendIn,
    StatusOut,
    StatusQuery,
)
from vehicle_enforce.summary.units import unit_for

bp = Blueprint("exports_api", __name__, url_prefix="/api/v1/exports")
READERS = (D.environment, D.transport)


_RECORD = {
    "id": 5821,
    "target": "provincial",
    "kind": "remote_sensing",
    "object_id": "90412",
    "station": "JC-RS-01",
    "idempotency_key": "remote_sensing:90412",
    "status": "rejected",
    "attempts": 1,
    "last_error": "平台拒收：车牌号码格式错误（晋E12345）",
    "occurred_at": "2026-11-05T01:32:10+00:00",
    "due_day": "2026-11-05",
    "acknowledged_at": None,
}
_RATE = {"due": 1240, "acknowledged": 1228, "rate": 0.9903, "alarm": False}


@bp.get("/status")
@api_access(*READERS)
@operation(
    "传输率（已确认/应传）按日、站点、记录类型，含告警 / "
    "Transmission rate (acknowledged / due) per day, station and record type, with the alarm",
    query=StatusQuery,
    resp={200: StatusOut},
    examples={
        "response": {
            "since": "2026-10-30",
            "until": "2026-11-05",
            "threshold": 0.95,
            "total": _RATE,
            "by_day": [{"due_day": "2026-11-05", **_RATE}],
            "by_station": [{"station": "JC-RS-01", **_RATE}],
            "by_county": [{"county_code": "140525", "county": "泽州县", **_RATE}],
            "by_kind": [{"kind": "remote_sensing", **_RATE}],
            "by_target": [{"target": "provincial", **_RATE}],
        }
    },
)
def status() -> Any:
    q = query_args(StatusQuery)
    until = q.until or local_day(now_utc())
    since = q.since or until - timedelta(days=6)
    county = scope.allowed_county(principal_or_401())  # a county's report is its own stations'
    return jsonify(services.status(since, until, q.target, county_id=county))


@bp.get("/status.xlsx")
@api_access(*READERS)
@operation(
    "传输率报表（Excel：按日、站点、记录类型、平台；含标题、填报单位、说明页） / "
    "The transmission rate as a filed XLSX report",
    query=StatusQuery,
    resp={200: None},
)
def status_report() -> Any:
    q = query_args(StatusQuery)
    until = q.until or local_day(now_utc())
    since = q.since or until - timedelta(days=6)
    county = scope.allowed_county(principal_or_401())  # a county's report is its own stations'
    report = {**services.status(since, until, q.target, county_id=county), "target": q.target}
    return Response(
        reports.status_xlsx(report, as_of=now_utc(), unit=unit_for(principal_or_401())),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f"attachment; filename=transmission-rate-{since}-{until}.xlsx"},
    )


@bp.get("/missing")
@api_access(*READERS)
@operation(
    "对账：某日尚未被平台确认的记录 / Reconciliation: records of a day not yet acknowledged by the platform",
    query=MissingQuery,
    resp={200: RecordList},
    examples={"response": {"results": [_RECORD]}},
)
def missing() -> Any:
    q = query_args(MissingQuery)
    return jsonify({"results": services.missing(q.day, q.target)})


@bp.get("/failed")
@api_access(*READERS)
@operation(
    "省平台拒收或多次重试失败、待人工处理的记录 / "
    "Records the platform rejected or that failed every retry, for a person to fix and resend",
    query=FailedQuery,
    resp={200: RecordPage},
    examples={"response": {"results": [_RECORD], "next_cursor": None}},
)
def failed() -> Any:
    q = query_args(FailedQuery)
    stmt = select(ExportRecord).where(ExportRecord.status.in_(["rejected", "failed"]))
    if q.target:
        stmt = stmt.where(ExportRecord.target == q.target)
    rows, cursor = page(stmt, ExportRecord.id, q)
    return jsonify(page_json(rows, cursor, services.record_json))


@bp.post("/<int:record_id>/resend")
@api_access(D.environment)
@operation(
    "重新排队发送被拒或失败的记录 / Queue a rejected or failed record again",
    json=ResendIn,
    resp={200: RecordOut},
    examples={
        "request": {"note": "已核对号牌为晋E12345，补正后重发"},
        "response": {**_RECORD, "status": "pending", "attempts": 0, "last_error": None},
    },
)
def resend(record_id: int) -> Any:
    principal = principal_or_401()
    record = services.resend(record_id, json_body(ResendIn), actor=principal)
    return jsonify(services.record_json(record))
