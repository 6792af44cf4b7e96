"""JSON API: transmission rate, reconciliation, rejected records and resending."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, jsonify
from pydantic import Field
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access
from vehicle_enforce.core.openapi import Listing, Out, Page, json_body, operation, query_args
from vehicle_enforce.core.pagination import PageQuery, page, page_json
from vehicle_enforce.core.schemas import QuerySchema, Schema
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.exports import services
from vehicle_enforce.exports.models import ExportRecord

bp = Blueprint("exports_api", __name__, url_prefix="/api/v1/exports")
READERS = (D.environment, D.transport)


class StatusQuery(QuerySchema):
    since: date | None = None
    until: date | None = None
    target: str | None = Field(default=None, max_length=32)


class MissingQuery(QuerySchema):
    day: date
    target: str | None = Field(default=None, max_length=32)


class FailedQuery(PageQuery):
    target: str | None = Field(default=None, max_length=32)


class ResendIn(Schema):
    stored_as = (ExportRecord,)
    note: str | None = Field(default=None, max_length=500)


class Rate(Out):
    due: int
    acknowledged: int
    rate: float | None
    alarm: bool


class StatusOut(Out):
    since: str
    until: str
    threshold: float
    total: Rate
    by_day: list[Rate]
    by_station: list[Rate]
    by_kind: list[Rate]
    by_target: list[Rate]


@bp.get("/status")
@api_access(*READERS)
@operation(
    "传输率（已确认/应传）按日、站点、记录类型，含告警 / "
    "Transmission rate (acknowledged / due) per day, station and record type, with the alarm",
    query=StatusQuery,
    resp={200: StatusOut},
)
def status() -> Any:
    q = query_args(StatusQuery)
    until = q.until or local_day(now_utc())
    since = q.since or until - timedelta(days=6)
    return jsonify(services.status(since, until, q.target))


@bp.get("/missing")
@api_access(*READERS)
@operation(
    "对账：某日尚未被平台确认的记录 / Reconciliation: records of a day not yet acknowledged by the platform",
    query=MissingQuery,
    resp={200: Listing},
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
    resp={200: Page},
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
@operation("重新排队发送被拒或失败的记录 / Queue a rejected or failed record again", json=ResendIn, resp={200: Out})
def resend(record_id: int) -> Any:
    data = json_body(ResendIn)
    record = services.resend(record_id, data.note)
    return jsonify(services.record_json(record))
