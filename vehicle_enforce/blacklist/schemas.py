"""Schemas of the blacklist: manual listing and release, evidence withdrawals, the list query, answers.

The API validates with the request schemas, and the services take them (one input type per service);
the answers are declared once here, with the examples the API document shows.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.core.openapi import IsoTime, Out
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import QuerySchema, Schema
from vehicle_enforce.inspections.models import EvidenceWithdrawal
from vehicle_enforce.vehicles.models import Vehicle

RecordKindName = Literal["remote_sensing_pass", "roadside_test", "black_smoke_capture", "repair"]
PlateColor = Literal["blue", "yellow", "green", "yellow_green", "white", "black", "unknown"]


class ListQuery(PageQuery):
    status: str | None = Field(default=None, max_length=16, pattern="^(active|released)$")
    plate: str | None = Field(default=None, max_length=16)
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ReportQuery(QuerySchema):
    status: str | None = Field(default=None, max_length=16, pattern="^(active|released)$")


class ManualListing(Schema):
    stored_as = (Vehicle,)
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    plate: str | None = Field(default=None, max_length=16)
    plate_color: PlateColor | None = None
    reason: str = Field(min_length=1, max_length=2000)


class Release(Schema):
    stored_as = (BlacklistEntry,)
    reason: str = Field(min_length=1, max_length=2000)


class WithdrawalIn(Schema):
    stored_as = (EvidenceWithdrawal,)
    station: str = Field(min_length=1, max_length=32)
    device: str | None = Field(default=None, max_length=64)
    since: AwareDatetime
    until: AwareDatetime
    reason: str = Field(min_length=1, max_length=1000)
    # Which kinds of the station's records (default: every kind it holds; only passes name a device).
    kinds: list[RecordKindName] | None = Field(default=None, min_length=1, max_length=4)


# -- Answers --------------------------------------------------------------------------------------


class EntryOut(Out):
    """A blacklist entry: why and when the vehicle was listed, and released (`services.entry_json`)."""

    id: int
    vehicle_id: int
    plate: str | None
    plate_color: str | None
    status: str
    kind: str
    rule: str | None
    reason: str
    evidence: list[dict[str, Any]]
    evidence_match: str | None
    listed_at: IsoTime
    listed_by: str | None
    released_at: IsoTime | None
    release_kind: str | None
    release_reason: str | None


class EntryPage(Out):
    results: list[EntryOut]
    next_cursor: str | None


class WithdrawalOut(Out):
    """A withdrawal of a station's or device's passes and what it did to the listings resting on them."""

    id: int
    station_id: int
    device_id: int | None
    since: IsoTime
    until: IsoTime
    reason: str
    created_by: str
    created_at: IsoTime
    outcome: dict[str, Any]


# -- Examples (a county in 晋城: 泽州县) --------------------------------------------------------------

EVIDENCE_EXAMPLE: dict[str, Any] = {
    "source": "remote_sensing",
    "record_id": 48213,
    "device_record_id": "RS01-20261203-0412",
    "station": "JC-RS-01",
    "station_name": "北石店遥感站",
    "measured_at": "2026-12-03T02:14:07+00:00",
    "exceeded": [{"item": "opacity", "value": 38.5, "limit": 30.0, "unit": "%"}],
    "limit_set": "HJ 845-2017 柴油车",
    "match_decision": "exact",
    "text": "2026-12-03 10:14 北石店遥感站：不透光度 38.5%（限值 30%）",
}
ENTRY_EXAMPLE: dict[str, Any] = {
    "id": 311,
    "vehicle_id": 1024,
    "plate": "晋E12345",
    "plate_color": "yellow",
    "status": "active",
    "kind": "rule",
    "rule": "remote_sensing_repeat",
    "reason": "30日内遥感检测超标2次（2026-11-20、2026-12-03）",
    "evidence": [EVIDENCE_EXAMPLE],
    "evidence_match": "exact",
    "listed_at": "2026-12-03T02:14:09+00:00",
    "listed_by": "system",
    "released_at": None,
    "release_kind": None,
    "release_reason": None,
}
MANUAL_ENTRY_EXAMPLE: dict[str, Any] = {
    **ENTRY_EXAMPLE,
    "id": 312,
    "kind": "manual",
    "rule": None,
    "reason": "人工列入：群众举报冒黑烟，巴公镇执法中队现场核实",
    "evidence": [],
    "listed_at": "2026-12-07T03:20:00+00:00",
    "listed_by": "环境执法 李明",
}
RELEASED_ENTRY_EXAMPLE: dict[str, Any] = {
    **ENTRY_EXAMPLE,
    "status": "released",
    "released_at": "2026-12-07T06:05:00+00:00",
    "release_kind": "manual",
    "release_reason": "经复核，超标记录系设备校准失效所致",
}
WITHDRAWAL_REQUEST_EXAMPLE: dict[str, Any] = {
    "station": "JC-RS-01",
    "device": "RS01",
    "since": "2026-12-01T00:00:00+08:00",
    "until": "2026-12-03T12:00:00+08:00",
    "reason": "12月3日校准发现不透光度通道漂移，此前两日数据无效",
}
WITHDRAWAL_EXAMPLE: dict[str, Any] = {
    "id": 7,
    "station_id": 3,
    "device_id": 5,
    "since": "2026-11-30T16:00:00+00:00",
    "until": "2026-12-03T04:00:00+00:00",
    "reason": "12月3日校准发现不透光度通道漂移，此前两日数据无效",
    "created_by": "环境执法 李明",
    "created_at": "2026-12-07T03:30:12+00:00",
    "outcome": {"passes": 126, "released": [311], "tasks": [], "still_listed": [298]},
}
