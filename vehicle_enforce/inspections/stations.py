"""Rules for stations and devices."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from vehicle_enforce.auth.services import township_by_name_or_code
from vehicle_enforce.core import audit
from vehicle_enforce.core.errors import Conflict, Invalid
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import Station, StationKind


def create_station(
    *,
    code: str,
    kind: str,
    name: str,
    township: str | None = None,
    location: str | None = None,
    calibration_valid_until: date | None = None,
) -> Station:
    try:
        kind = StationKind(kind).value
    except ValueError:
        raise Invalid(f"unknown station kind '{kind}'", {"kind": "unknown kind"}) from None
    if db.session.scalar(select(Station).where(Station.code == code)) is not None:
        raise Conflict(f"station {code} exists", {"code": "already exists"})
    station = Station(
        code=code,
        kind=kind,
        name=name,
        township_id=township_by_name_or_code(township).id if township else None,
        location=location,
        calibration_valid_until=calibration_valid_until,
    )
    db.session.add(station)
    db.session.flush()
    audit.record("station.create", "station", station.id, {"code": code, "kind": kind, "name": name})
    return station


def station_by_code(code: str) -> Station | None:
    return db.session.scalar(select(Station).where(Station.code == code))


def is_calibrated(station: Station, on: date) -> bool:
    """A station with no calibration record counts as calibrated."""
    return station.calibration_valid_until is None or station.calibration_valid_until >= on
