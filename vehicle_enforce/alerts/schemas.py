"""Request and response shapes of the alert API, shared by the API, the alert page and the services."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from vehicle_enforce.alerts.models import Alert, GateRecord
from vehicle_enforce.core.openapi import IsoTime, Out
from vehicle_enforce.core.schemas import Schema

Level = Literal["blue", "yellow", "orange", "red"]


class AlertIn(Schema):
    stored_as = (Alert,)
    level: Level
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    townships: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(default=None, max_length=50)
    notice_no: str | None = Field(default=None, min_length=1, max_length=64)  # 通告文号: basis of road restrictions


class AlertAction(Schema):
    action: Literal["extend", "upgrade", "lift"]
    level: Level | None = None
    ends_at: AwareDatetime | None = None


class GradeIn(Schema):
    owner_id: int = Field(ge=1, le=2**31 - 1)
    grade: Literal["A", "B", "C"]
    daily_truck_trips: int = Field(ge=0, le=100000)


class GateRow(Schema):
    stored_as = (GateRecord,)
    plate: str = Field(min_length=1, max_length=16)
    plate_color: str = Field(default="yellow", max_length=16)
    direction: Literal["in", "out"]
    at: AwareDatetime
    emission_standard: int | None = Field(default=None, ge=0, le=6)
    fuel: str | None = Field(default=None, max_length=16)
    vehicle_type: str | None = Field(default=None, max_length=32)


class GateIn(Schema):
    owner_id: int = Field(ge=1, le=2**31 - 1)
    records: list[GateRow] = Field(min_length=1, max_length=5000)


class AlertOut(Out):
    id: int
    level: Level
    townships: list[int] | None
    starts_at: IsoTime
    ends_at: IsoTime
    lifted_at: IsoTime | None
    issued_by: str | None
    notice_no: str | None
    history: list[Any] | None


class AlertList(Out):
    results: list[AlertOut]


class GradeOut(Out):
    owner_id: int
    grade: Literal["A", "B", "C"]
    daily_truck_trips: int


class GateOut(Out):
    stored: int
    duplicates: int


class GateReportRow(Out):
    owner_id: int
    plate: str
    plate_color: str
    direction: Literal["进厂", "出厂"]
    at: str
    emission_standard: int | None
    standard_source: str | None
    registered: bool
    vehicle_id: int | None
    match_decision: str | None
    measure: str


class GateReport(Out):
    results: list[GateReportRow]
