"""Schemas of the hotlist: a checkpoint's single check, a camera gateway's batch, and the answers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field

from vehicle_enforce.blacklist.models import HotlistLookup
from vehicle_enforce.blacklist.schemas import PlateColor
from vehicle_enforce.core.openapi import Out
from vehicle_enforce.core.schemas import QuerySchema, Schema


class CheckQuery(QuerySchema):
    plate: str = Field(min_length=1, max_length=16)
    plate_color: PlateColor | None = None
    reason: str = Field(min_length=1, max_length=256)
    location: str | None = Field(default=None, max_length=256)


class ReadIn(BaseModel):
    plate: str = Field(max_length=16)
    plate_color: PlateColor | None = None
    seen_at: AwareDatetime | None = None
    location: str | None = Field(default=None, max_length=256)


class BatchCheck(Schema):
    stored_as = (HotlistLookup,)
    reads: list[ReadIn] = Field(min_length=1, max_length=1000)
    # Why the lookup is made; a checkpoint camera's code counts as one (recorded as "卡口抓拍比对（卡口 …）").
    reason: str | None = Field(default=None, max_length=200)
    checkpoint: str | None = Field(default=None, min_length=1, max_length=48)

    @classmethod
    def of_one(cls, query: CheckQuery) -> BatchCheck:
        """A checkpoint's single check as a batch of one read (validated by CheckQuery: not again, since
        the single check's reason may be longer than a batch's)."""
        read = ReadIn.model_construct(plate=query.plate, plate_color=query.plate_color, location=query.location)
        return cls.model_construct(reads=[read], reason=query.reason, checkpoint=None)


# -- Answers --------------------------------------------------------------------------------------


class HotlistEntry(Out):
    id: int
    reason: str
    listed_at: str
    rule: str | None


class HotlistCase(Out):
    id: int
    state: str | None
    due_at: str | None
    url: str
    api_url: str


class HotlistAnswer(Out):
    """One read answered: the match, the listing and its case, and what the officer does (`answers`)."""

    index: int
    status: Literal["ok"]
    hit: str | None
    plate: str
    plate_color: str | None
    vehicle_id: int | None
    match_decision: str
    matched_plate: str | None
    entry: HotlistEntry | None
    case: HotlistCase | None
    action: str
    severity: int
    action_zh: str
    situations: list[str]


class ReadProblem(Out):
    field: str
    code: str
    message: str


class HotlistInvalid(Out):
    """A read whose text cannot be a GA 36 plate."""

    index: int
    status: Literal["invalid"]
    plate: str | None
    plate_color: str | None
    error: ReadProblem


class HotlistResults(Out):
    results: list[HotlistAnswer | HotlistInvalid]


# -- Examples -------------------------------------------------------------------------------------

HIT_EXAMPLE: dict[str, Any] = {
    "index": 0,
    "status": "ok",
    "hit": "exact",
    "plate": "晋E12345",
    "plate_color": "yellow",
    "vehicle_id": 1024,
    "match_decision": "exact",
    "matched_plate": "晋E12345",
    "entry": {
        "id": 311,
        "reason": "30日内遥感检测超标2次（2026-11-20、2026-12-03）",
        "listed_at": "2026-12-03T02:14:09+00:00",
        "rule": "remote_sensing_repeat",
    },
    "case": {
        "id": 208,
        "state": "confirmed",
        "due_at": "2026-12-17T15:59:59.999999+00:00",
        "url": "/ops/cases/208",
        "api_url": "/api/v1/cases/208",
    },
    "action": "stop_and_penalize",
    "severity": 3,
    "action_zh": "拦截检查，移交处罚",
    "situations": ["case_police_act"],
    "vehicle": {
        "id": 1024,
        "plate": "晋E12345",
        "plate_color": "yellow",
        "vehicle_type": "重型半挂牵引车",
        "fuel": "diesel",
        "emission_standard": "国三",
        "emission_standard_inferred": False,
        "status": "active",
        "owner_name": "泽州县宏达运输有限公司",
    },
    "evidence_match": "exact",
    "evidence": [
        {
            "source": "remote_sensing",
            "record_id": 48213,
            "measured_at": "2026-12-03T02:14:07+00:00",
            "station": "JC-RS-01",
            "station_name": "北石店遥感站",
            "exceeded": [{"item": "opacity", "value": 38.5, "limit": 30.0, "unit": "%"}],
            "text": "2026-12-03 10:14 北石店遥感站：不透光度 38.5%（限值 30%）",
            "photos": ["/api/v1/evidence/3f5c0c9e2b7a4d1e8f6a0b9c7d2e4f1a3b5c7d9e0f2a4b6c8d0e1f3a5b7c9d1e"],
        }
    ],
}
CLEAR_EXAMPLE: dict[str, Any] = {
    "index": 1,
    "status": "ok",
    "hit": None,
    "plate": "晋EA1234D",
    "plate_color": "green",
    "vehicle_id": None,
    "match_decision": "none",
    "matched_plate": None,
    "entry": None,
    "case": None,
    "action": "none",
    "severity": 0,
    "action_zh": "无需处理",
    "situations": ["clear"],
}
INVALID_EXAMPLE: dict[str, Any] = {
    "index": 2,
    "status": "invalid",
    "plate": "晋E",
    "plate_color": "yellow",
    "error": {
        "field": "reads.2.plate",
        "code": "not_a_plate",
        "message": "号牌“晋E”不符合GA 36号牌规则：车牌长度应为7位（普通）或8位（新能源），请人工核对号牌",
    },
}
BATCH_REQUEST_EXAMPLE: dict[str, Any] = {
    "checkpoint": "ZZ-KK-03",
    "reads": [
        {
            "plate": "晋E12345",
            "plate_color": "yellow",
            "seen_at": "2026-12-07T09:41:03+08:00",
            "location": "巴公镇卡口",
        },
        {
            "plate": "晋EA1234D",
            "plate_color": "green",
            "seen_at": "2026-12-07T09:41:05+08:00",
            "location": "巴公镇卡口",
        },
        {"plate": "晋E", "plate_color": "yellow", "seen_at": "2026-12-07T09:41:09+08:00", "location": "巴公卡口"},
    ],
}
