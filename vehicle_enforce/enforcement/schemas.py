"""Request schemas of the hotlist: a checkpoint's single check and a camera gateway's batch."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from vehicle_enforce.blacklist.models import HotlistLookup
from vehicle_enforce.blacklist.schemas import PlateColor
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
