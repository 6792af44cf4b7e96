"""Request and answer schemas of the inspections API (passes, tests, captures, repairs, rules)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args, get_type_hints

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field, PlainSerializer, create_model, field_validator
from pydantic_core import PydanticCustomError

from plates import normalize_plate
from plates.text import validate_plate
from remote_sensing import PLATE_COLORS, PassRecord
from remote_sensing.readers.base import FIELD_RANGES
from vehicle_enforce.core.openapi import IsoTime, Out
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import QuerySchema, Schema
from vehicle_enforce.core.timeutil import to_local
from vehicle_enforce.inspections.models import BlackSmokeCapture, Repair, RoadsideTest, RuleChange

#: Passes one request may carry.
MAX_BATCH = 10_000

PlateColor = Literal["blue", "yellow", "green", "yellow_green", "white", "black", "unknown"]
assert set(get_args(PlateColor)) == set(PLATE_COLORS)


# --------------------------------------------------------------------------------------------------
# Schemas


class PhotoIn(Schema):
    name: str = Field(min_length=1, max_length=128)
    content_base64: str


# Remote-sensing passes: the canonical record is declared once, by the pure library
# (`remote_sensing.types.PassRecord`, which `parse_canonical` builds); the API's model derives from it.

#: How the JSON API narrows a PassRecord field (types the library keeps plain, and JSON shapes).
_PASS_FIELD_TYPES: dict[str, Any] = {
    "measured_at": AwareDatetime,
    "plate": str | None,  # "" / "无车牌" / null: the plate was not read
    "plate_color": PlateColor | None,
    "photos": list[str | PhotoIn],
}


def _pass_fields() -> dict[str, Any]:
    """`PassRecord`'s fields as pydantic fields: required where the record requires them, bounded by the
    library's FIELD_RANGES, plus `device` (the station's registered device, a service notion)."""
    hints = get_type_hints(PassRecord)
    declared: dict[str, Any] = {}
    for f in dataclasses.fields(PassRecord):
        if not f.init:
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        annotation = _PASS_FIELD_TYPES.get(f.name, hints[f.name])
        if f.name == "photos":
            declared[f.name] = (annotation, Field(default_factory=list))
            continue
        if not required:
            annotation = annotation | None
        lo, hi = FIELD_RANGES.get(f.name, (None, None))
        if f.name == "ringelmann" and lo is not None and hi is not None:
            lo, hi = int(lo), int(hi)
        declared[f.name] = (annotation, Field(... if required else None, ge=lo, le=hi))
    declared["device"] = (str | None, Field(default=None, description="the device's code at its station"))
    return declared


CanonicalPass: type[BaseModel] = create_model(
    "CanonicalPass",
    __doc__="A pass in the canonical HJ 845 shape (remote_sensing.PassRecord; validated field by field).",
    **_pass_fields(),
)


class PassBatch(BaseModel):
    # CanonicalPass is built from PassRecord at import, so mypy cannot see it as a class.
    passes: list[CanonicalPass] = Field(min_length=1, max_length=MAX_BATCH)  # type: ignore[valid-type]  # see above


class ItemError(BaseModel):
    field: str
    code: str
    message: str


class PassResult(BaseModel):
    index: int
    status: Literal["created", "duplicate", "conflict", "invalid"]
    id: int | None = None
    station: str | None = None
    record_id: str | None = None
    verdict: Literal["pass", "exceed", "invalid"] | None = None
    exceeded: list[dict[str, Any]] | None = None
    invalid_reasons: list[str] | None = None
    vehicle_id: int | None = None
    match_decision: str | None = None
    plate_status: str | None = None
    duplicate: bool | None = None
    error: ItemError | None = None


class PassResults(BaseModel):
    results: list[PassResult]


class ListQuery(PageQuery):
    plate: str | None = Field(default=None, max_length=16)
    plate_color: PlateColor | None = None
    station: str | None = Field(default=None, max_length=32)
    since: AwareDatetime | date | None = None
    until: AwareDatetime | date | None = None


class PassQuery(ListQuery):
    record_id: str | None = Field(default=None, max_length=64)
    verdict: Literal["pass", "exceed", "invalid"] | None = None
    plate_status: Literal["matched", "ambiguous", "unregistered", "pending"] | None = None
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


#: Readings an opacimeter / NOx analyser can give (remote_sensing.verdicts K_RANGE, NOX_RANGE).
K = Annotated[float, Field(ge=0, le=20)]
NOX = Annotated[float, Field(ge=0, le=10_000)]


class FreeAcceleration(Schema):
    k_readings: list[K] = Field(min_length=3, max_length=20)


class LugDown(Schema):
    k: K | list[K]
    nox_ppm: NOX | list[NOX]


class Ringelmann(Schema):
    ringelmann: int = Field(ge=0, le=5)


class Obd(Schema):
    mil_on: bool
    fault_codes: list[str] = Field(default_factory=list, max_length=100)
    readiness_ok: bool
    tampering: bool


READINGS: dict[str, type[Schema]] = {
    "free_acceleration": FreeAcceleration,
    "lug_down": LugDown,
    "ringelmann": Ringelmann,
    "obd": Obd,
}
Method = Literal["free_acceleration", "lug_down", "ringelmann", "obd"]


class InspectionIn(Schema):
    """An I站 (periodic inspection / retest) result."""

    stored_as = (RoadsideTest,)

    station: str | None = Field(default=None, max_length=32, description="defaults to the token's station")
    report_number: str = Field(min_length=1, max_length=64)
    method: Method
    tested_at: AwareDatetime
    plate: str = Field(min_length=1, max_length=16)
    plate_color: PlateColor
    readings: dict[str, Any] = Field(description="free_acceleration: k_readings (3+); lug_down: k, nox_ppm; ...")
    operator: str | None = Field(default=None, max_length=128)
    note: str | None = Field(default=None, max_length=2000)

    @field_validator("plate")
    @classmethod
    def _a_plate(cls, value: str) -> str:
        """The vehicle is in front of the tester: its plate must be a plate (GA 36 length and characters)."""
        check = validate_plate(normalize_plate(value), "unknown")
        if not check.ok:
            raise PydanticCustomError("plate_invalid", "{zh} ({en})", {"zh": check.reason_zh, "en": check.reason})
        return value


class RoadsideTestIn(InspectionIn):
    """A roadside (路检) or depot spot (入户抽测) test."""

    kind: Literal["roadside", "spot_check"]
    owner_id: int | None = Field(default=None, description="the fleet or owner visited (spot tests)")
    location: str | None = Field(default=None, max_length=256)


class TestQuery(ListQuery):
    kind: Literal["roadside", "spot_check", "inspection"] | None = None
    method: Method | None = None
    verdict: Literal["pass", "exceed", "fail", "invalid"] | None = None
    report_number: str | None = Field(default=None, max_length=64)
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class CaptureIn(Schema):
    stored_as = (BlackSmokeCapture,)
    station: str | None = Field(default=None, max_length=32)
    capture_id: str = Field(min_length=1, max_length=64)
    captured_at: AwareDatetime
    site: str | None = Field(default=None, max_length=256)
    plate: str = Field(default="", max_length=16)
    plate_color: PlateColor = "unknown"
    ringelmann: int = Field(ge=0, le=5)
    photos: list[PhotoIn] = Field(default_factory=list, max_length=10, description="photos and the video clip")


class CaptureQuery(ListQuery):
    review_status: Literal["pending", "confirmed", "rejected"] | None = None
    verdict: Literal["pass", "exceed"] | None = None
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ReviewIn(Schema):
    stored_as = (BlackSmokeCapture,)
    decision: Literal["confirm", "reject"]
    note: str | None = Field(default=None, max_length=2000)


class RepairIn(Schema):
    stored_as = (Repair,)
    station: str | None = Field(default=None, max_length=32)
    repair_number: str = Field(min_length=1, max_length=64)
    repaired_at: AwareDatetime
    plate: str = Field(min_length=1, max_length=16)
    plate_color: PlateColor
    items: list[str] = Field(min_length=1, max_length=50)
    technician: str | None = Field(default=None, max_length=128)
    note: str | None = Field(default=None, max_length=2000)


class RepairQuery(ListQuery):
    repair_number: str | None = Field(default=None, max_length=64)
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class RulesOn(QuerySchema):
    on: date | None = None


class RuleChangeIn(Schema):
    stored_as = (RuleChange,)
    effective_from: date
    document: dict[str, Any] = Field(description="a rules override: limit_sets, validity, blacklist, obd ...")
    note: str | None = Field(default=None, max_length=2000)


# --------------------------------------------------------------------------------------------------
# Answers: one model per record kind; the `*_json` helpers of the services dump these.

#: A stored time as these records have always been written: Asia/Shanghai wall clock, `+08:00`.
LocalTime = Annotated[datetime, PlainSerializer(lambda value: to_local(value).isoformat(), return_type=str)]
#: A station named by its code (read from the row's `station` relationship).
StationCode = Annotated[str, BeforeValidator(lambda value: getattr(value, "code", value))]


class EvidenceOut(Out):
    name: str
    sha256: str
    media_type: str
    size: int
    url: str


class TestOut(Out):
    """A roadside, spot or I站 test as stored, judged, with what the operator is told."""

    id: int
    station: StationCode
    report_number: str
    kind: str
    method: str
    tested_at: LocalTime
    plate: str
    plate_color: str
    vehicle_id: int | None
    match_decision: str | None
    owner_id: int | None
    location: str | None
    operator: str | None
    readings: dict[str, Any]
    verdict: str
    limit_set: str | None
    exceeded: list[dict[str, Any]]
    invalid_reasons: list[str]
    values: dict[str, Any] | None = Field(default=None, description="the judged values (stored as judged_values)")
    turn_back: bool
    message: str = Field(default="", description="what the operator is told (Chinese)")
    note: str | None
    duplicate: bool = False
    withdrawn: bool = Field(default=False, description="withdrawn as evidence (a device found faulty)")
    withdrawn_reason: str | None = None
    withdrawn_at: LocalTime | None = None


class CaptureOut(Out):
    id: int
    station: StationCode
    capture_id: str
    captured_at: LocalTime
    site: str | None
    plate: str
    plate_color: str
    vehicle_id: int | None
    match_decision: str | None
    ringelmann: int
    verdict: str
    limit_set: str | None
    review_status: str
    reviewed_by: str | None
    reviewed_at: LocalTime | None
    review_note: str | None
    duplicate: bool = False
    withdrawn: bool = Field(default=False, description="withdrawn as evidence (a device found faulty)")
    withdrawn_reason: str | None = None
    withdrawn_at: LocalTime | None = None


class CaptureDetail(CaptureOut):
    photos: list[EvidenceOut] | None = Field(default=None, description="environment and police only")


class RepairOut(Out):
    id: int
    station: StationCode
    repair_number: str
    repaired_at: LocalTime
    plate: str
    plate_color: str
    vehicle_id: int | None
    match_decision: str | None
    items: list[str]
    technician: str | None
    note: str | None
    duplicate: bool = False
    withdrawn: bool = Field(default=False, description="withdrawn as evidence (a device found faulty)")
    withdrawn_reason: str | None = None
    withdrawn_at: LocalTime | None = None


class RuleChangeOut(Out):
    id: int
    effective_from: date
    document: dict[str, Any]
    note: str | None
    created_by: str
    created_at: IsoTime
    withdrawn_at: IsoTime | None
    withdrawn_by: str | None


class RulesOut(Out):
    on: date
    rules: dict[str, Any]


class PassOut(Out):
    """A stored pass: its measurements, verdict and plate match (times in Asia/Shanghai)."""

    id: int
    station: StationCode
    record_id: str
    measured_at: LocalTime
    plate: str
    plate_color: str
    plate_status: str
    vehicle_id: int | None
    match_decision: str | None
    verdict: str
    limit_set: str | None
    exceeded: list[dict[str, Any]] | None
    invalid_reasons: list[str] | None
    lane: str | None
    plate_confidence: float | None
    fuel: str | None
    speed_kmh: float | None
    accel_ms2: float | None
    vsp_kw_t: float | None
    wind_ms: float | None
    temperature_c: float | None
    humidity_pct: float | None
    pressure_kpa: float | None
    co2_pct: float | None
    co_pct: float | None
    hc_ppm: float | None
    no_ppm: float | None
    opacity_pct: float | None
    ringelmann: int | None
    device_valid: bool | None
    device_verdict: str | None
    photo_names: list[str] | None
    created_at: LocalTime
    withdrawn: bool = Field(default=False, description="withdrawn as evidence (a device found faulty)")
    withdrawn_reason: str | None = None
    withdrawn_at: LocalTime | None = None


class PassDetail(PassOut):
    photos: list[EvidenceOut] | None = Field(default=None, description="environment and police only")


class PassPage(Out):
    results: list[PassOut]
    next_cursor: str | None


class TestPage(Out):
    results: list[TestOut]
    next_cursor: str | None


class CapturePage(Out):
    results: list[CaptureOut]
    next_cursor: str | None


class RepairPage(Out):
    results: list[RepairOut]
    next_cursor: str | None


class RuleChangePage(Out):
    results: list[RuleChangeOut]
    next_cursor: str | None
