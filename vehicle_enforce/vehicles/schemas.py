"""Request and response shapes of the vehicle API."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from vehicle_enforce.core.openapi import IsoTime, Out
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import QuerySchema, Schema
from vehicle_enforce.vehicles.models import Fuel, Owner, Vehicle, VehicleStatus, VehicleType, VehicleUse


class OwnerIn(Schema):
    """The owner: an enterprise (upserted by its unified social credit code) or a person.

    A person has no national key we keep (ID card numbers are not stored), so a person is the vehicle's
    current owner when the name is the same, else the owner with the same name and phone, else a new
    owner record.
    """

    stored_as = (Owner,)

    kind: Literal["enterprise", "person"]
    name: str = Field(min_length=1, max_length=256)
    credit_code: str | None = Field(
        default=None, max_length=32, description="统一社会信用代码; required for enterprises"
    )
    phone: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=256)


class VehicleIn(Schema):
    """A vehicle record; a second POST with the same plate and colour updates the fields it sends."""

    stored_as = (Vehicle,)

    plate: str = Field(min_length=1, max_length=32, examples=["晋E12345"])
    plate_color: str = Field(min_length=1, max_length=32, examples=["yellow"])
    vin: str | None = Field(None, max_length=32, description="17 characters; a wrong check digit only warns")
    vehicle_type: VehicleType
    fuel: Fuel
    emission_standard: int | None = Field(None, ge=0, le=6, description="0–6 (国0–国6); inferred when absent")
    registration_date: date | None = Field(None, description="first registration date, ISO YYYY-MM-DD")
    use: VehicleUse | None = None
    owner: OwnerIn | None = None
    township: str | None = Field(None, max_length=64, description="township name or code")
    status: VehicleStatus | None = None
    lean_burn: bool | None = None
    gas_converted: bool | None = None


class VehicleQuery(PageQuery):
    plate: str | None = Field(None, max_length=32)
    plate_color: str | None = Field(None, max_length=32)
    vin: str | None = Field(None, max_length=32)
    owner_id: int | None = Field(None, ge=1)
    township: str | None = Field(None, max_length=64)
    status: VehicleStatus | None = None


class OwnerQuery(PageQuery):
    credit_code: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=256)


class MatchIn(Schema):
    plate: str = Field(max_length=32, examples=["晋E1234S"])
    plate_color: str | None = Field(None, max_length=32, examples=["yellow"])


class MatchCandidateOut(Out):
    vehicle_id: int
    plate: str
    plate_color: str
    score: float


class MatchOut(Out):
    decision: Literal["exact", "probable", "ambiguous", "none"]
    read: str
    vehicle_id: int | None
    candidates: list[MatchCandidateOut]


class PlateReadQuery(QuerySchema):
    match: bool = Field(False, description="also match each reading to the registry (?match=1)")


class PlateReadingOut(Out):
    plate: str
    color: Literal["blue", "yellow", "green", "yellow_green", "white", "black", "unknown"]
    confidence: float = Field(description="the lowest per-character confidence, 0–1")
    doubtful: bool = Field(
        description="confidence below the reader's own threshold (calibrated on validation photos): "
        "check the plate by eye before acting on it"
    )
    char_confidences: list[float]
    corners: list[list[float]] = Field(description="[x, y] of top-left, top-right, bottom-right, bottom-left")
    match: MatchOut | None = Field(None, description="only with ?match=1")


class PlateReadOut(Out):
    readings: list[PlateReadingOut] = Field(description="most confident first; empty when no plate was found")
    elapsed_ms: float


# --- answers -----------------------------------------------------------------------------------------


class OwnerOut(Out):
    """An owner; credit code, phone and address are masked for roles that do not need them (PIPL)."""

    id: int
    kind: str
    name: str
    credit_code: str | None
    phone: str | None
    address: str | None


class OwnerPage(Out):
    results: list[OwnerOut]
    next_cursor: str | None


class FleetOut(Out):
    vehicles: int
    by_status: dict[str, int]
    active_by_emission_standard: dict[str, int] = Field(description="国0–国6 as 0–6, or unknown")


class OwnerDetailOut(OwnerOut):
    fleet: FleetOut


class TownshipRef(Out):
    code: str
    name: str


class VehicleOut(Out):
    """A registered vehicle (owner's personal data masked for stations and townships)."""

    id: int
    plate: str
    plate_color: str
    vin: str | None
    vin_warning: str | None
    vehicle_type: str | None
    fuel: str | None
    emission_standard: int | None
    emission_standard_inferred: bool
    registration_date: date | None
    use: str | None
    lean_burn: bool
    gas_converted: bool
    status: str
    owner: OwnerOut | None
    township: TownshipRef | None
    updated_at: IsoTime | None


class RegistrationOut(VehicleOut):
    created: bool
    changed: list[str] = Field(description="the fields this request changed (empty when created or unchanged)")


class VehicleDetailOut(VehicleOut):
    history: dict[str, Any] = Field(description="sections answered by the other domains (blacklist, cases, ...)")


class VehiclePage(Out):
    results: list[VehicleOut]
    next_cursor: str | None
