"""Canonical remote-sensing pass record and the small value types shared by readers and the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _shanghai() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # pragma: no cover - no tz database; China has had no DST since 1991
        return timezone(timedelta(hours=8), "Asia/Shanghai")


SHANGHAI: Final[tzinfo] = _shanghai()

PLATE_COLORS: Final[frozenset[str]] = frozenset(
    {"blue", "yellow", "green", "yellow_green", "white", "black", "unknown"}
)

#: Plate strings that vendors write when the camera could not read the plate.
UNREAD_PLATES: Final[frozenset[str]] = frozenset({"", "无车牌", "无牌", "未识别", "未知", "车牌", "-", "--"})


#: The measured values of a pass that are real numbers, in canonical order (readers and the service share it).
MEASUREMENT_FLOATS: Final[tuple[str, ...]] = (
    "speed_kmh",
    "accel_ms2",
    "vsp_kw_t",
    "wind_ms",
    "temperature_c",
    "humidity_pct",
    "pressure_kpa",
    "co2_pct",
    "co_pct",
    "hc_ppm",
    "no_ppm",
    "opacity_pct",
)

#: Values a working instrument can report, per measurement (inclusive). A pass with a value outside
#: them is judged ``invalid`` (reason ``implausible``), never valid: a broken sensor or a units mix-up
#: must not clear or list a vehicle. Wide on purpose: the rules' validity ranges do the fine sorting.
PHYSICAL_RANGES: Final[dict[str, tuple[float, float]]] = {
    "speed_kmh": (0.0, 250.0),
    "accel_ms2": (-15.0, 15.0),
    "vsp_kw_t": (-100.0, 200.0),
    "wind_ms": (0.0, 75.0),
    "temperature_c": (-60.0, 70.0),
    "humidity_pct": (0.0, 100.0),
    "pressure_kpa": (30.0, 120.0),
    "co2_pct": (0.0, 20.0),
    "co_pct": (0.0, 15.0),
    "hc_ppm": (0.0, 10_000.0),
    "no_ppm": (0.0, 10_000.0),
    "opacity_pct": (0.0, 100.0),
}

#: Measurement times a record may carry (outside them it is a typo or a broken clock).
EARLIEST_MEASUREMENT: Final[datetime] = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_MEASUREMENT: Final[datetime] = datetime(2199, 12, 31, tzinfo=UTC)


def implausible_fields(record: object) -> list[str]:
    """The measurements of ``record`` outside :data:`PHYSICAL_RANGES` (NaN and infinities included)."""
    out = []
    for name, (lo, hi) in PHYSICAL_RANGES.items():
        value = getattr(record, name, None)
        if value is None:
            continue
        number = float(value)
        if not lo <= number <= hi:  # False for NaN too
            out.append(name)
    return out


@dataclass(frozen=True, slots=True)
class PassRecord:
    """One vehicle pass through a remote-sensing site, in canonical units (km/h, m/s², kW/t, %, ppm)."""

    station: str
    record_id: str
    measured_at: datetime
    lane: str | None = None
    plate: str = ""
    plate_color: str = "unknown"
    plate_confidence: float | None = None
    fuel: str | None = None
    speed_kmh: float | None = None
    accel_ms2: float | None = None
    vsp_kw_t: float | None = None
    wind_ms: float | None = None
    temperature_c: float | None = None
    humidity_pct: float | None = None
    pressure_kpa: float | None = None
    co2_pct: float | None = None
    co_pct: float | None = None
    hc_ppm: float | None = None
    no_ppm: float | None = None
    opacity_pct: float | None = None
    ringelmann: int | None = None
    device_valid: bool | None = None
    device_verdict: str | None = None
    photos: tuple[str, ...] = ()
    #: True when the plate was not read (``plate == ""``): the verdict stands, the plate is pending.
    plate_pending: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.measured_at.tzinfo is None or self.measured_at.utcoffset() is None:
            raise ValueError("measured_at must be timezone-aware")
        if self.plate_color not in PLATE_COLORS:
            raise ValueError(f"plate_color must be one of {sorted(PLATE_COLORS)}")
        object.__setattr__(self, "plate_pending", self.plate == "")

    def to_canonical(self) -> dict[str, object]:
        """Return the canonical JSON dict (the shape :func:`parse_canonical` accepts)."""
        data: dict[str, object] = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "plate_pending"}
        data["measured_at"] = self.measured_at.isoformat()
        data["photos"] = list(self.photos)
        return data


@dataclass(frozen=True, slots=True)
class FieldError:
    """A problem with one field of a posted canonical record, e.g. ``speed_kmh: must be a number``."""

    field: str
    problem: str

    def as_dict(self) -> dict[str, str]:
        """Return the JSON shape used by the HTTP API."""
        return {"field": self.field, "problem": self.problem}
