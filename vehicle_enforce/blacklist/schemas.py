"""Request schemas of the blacklist: manual listing and release, evidence withdrawals, the list query.

The API validates with them, and the services take them (one input type per service).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from vehicle_enforce.blacklist.models import BlacklistEntry, EvidenceWithdrawal
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import Schema
from vehicle_enforce.vehicles.models import Vehicle

PlateColor = Literal["blue", "yellow", "green", "yellow_green", "white", "black", "unknown"]


class ListQuery(PageQuery):
    status: str | None = Field(default=None, max_length=16, pattern="^(active|released)$")
    plate: str | None = Field(default=None, max_length=16)
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


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
