"""Request and response shapes of the export API, shared by the API, the export page and the services."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from vehicle_enforce.core.openapi import IsoTime, Out
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import QuerySchema, Schema
from vehicle_enforce.exports.models import ExportRecord


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
    """Why a record is queued again (a person fixed its cause, or the network is back)."""

    stored_as = (ExportRecord,)
    note: str | None = Field(default=None, max_length=500)


class Rate(Out):
    due: int
    acknowledged: int
    rate: float | None
    alarm: bool


class DayRate(Rate):
    due_day: date


class StationRate(Rate):
    station: str | None


class KindRate(Rate):
    kind: str


class CountyRate(Rate):
    county_code: str | None = Field(description="null: records of no station, or of a station in no county")
    county: str | None


class TargetRate(Rate):
    target: str


class StatusOut(Out):
    since: date
    until: date
    threshold: float
    total: Rate
    by_day: list[DayRate]
    by_station: list[StationRate]
    by_county: list[CountyRate] = Field(
        default_factory=list,
        description="every county for the city level; a county caller's whole answer is its own stations'",
    )
    by_kind: list[KindRate]
    by_target: list[TargetRate]


class RecordOut(Out):
    id: int
    target: str
    kind: str
    object_id: str | None
    station: str | None
    idempotency_key: str
    status: str
    attempts: int
    last_error: str | None
    occurred_at: IsoTime
    due_day: date
    acknowledged_at: IsoTime | None


class RecordList(Out):
    results: list[RecordOut]


class RecordPage(RecordList):
    next_cursor: str | None
