"""Rules for stations and devices."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from vehicle_enforce.auth.services import county_of_place, township_by_name_or_code
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Invalid
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import Device, Station, StationKind


def create_station(
    *,
    code: str,
    kind: str,
    name: str,
    township: str | None = None,
    location: str | None = None,
    calibration_valid_until: date | None = None,
    county: str | None = None,
    actor: Actor,
) -> Station:
    """A station; it stands in its township's county, or in `county` (code or name) when it has none."""
    try:
        kind = StationKind(kind).value
    except ValueError:
        raise Invalid(f"unknown station kind '{kind}'", {"kind": "unknown kind"}) from None
    if db.session.scalar(select(Station).where(Station.code == code)) is not None:
        raise Conflict(f"station {code} exists", {"code": "already exists"})
    place = township_by_name_or_code(township) if township else None
    county_id = county_of_place(place, county, actor=actor)
    station = Station(
        code=code,
        kind=kind,
        name=name,
        township_id=place.id if place else None,
        county_id=county_id,
        location=location,
        calibration_valid_until=calibration_valid_until,
    )
    db.session.add(station)
    db.session.flush()
    audit.record("station.create", "station", station.id, {"code": code, "kind": kind, "name": name}, actor=actor)
    return station


def station_by_code(code: str) -> Station | None:
    return db.session.scalar(select(Station).where(Station.code == code))


def _station_or_invalid(code: str) -> Station:
    station = station_by_code(code)
    if station is None:
        raise Invalid(f"unknown station {code}", {"station": "unknown station"})
    return station


def add_device(
    *,
    station: str,
    code: str,
    model: str | None = None,
    calibration_valid_until: date | None = None,
    actor: Actor,
) -> Device:
    """Register a device (analyser, camera) at a station; its own calibration also decides validity."""
    owner = _station_or_invalid(station)
    if db.session.scalar(select(Device).where(Device.station_id == owner.id, Device.code == code)) is not None:
        raise Conflict(f"device {code} exists at {station}", {"code": "already exists"})
    device = Device(station_id=owner.id, code=code, model=model, calibration_valid_until=calibration_valid_until)
    db.session.add(device)
    db.session.flush()
    audit.record(
        "device.create",
        "device",
        device.id,
        {"station": station, "code": code, "valid_until": calibration_valid_until},
        actor=actor,
    )
    return device


def set_calibration(*, station: str, valid_until: date, device: str | None = None, actor: Actor) -> Station | Device:
    """Record a new calibration (valid-until day) for a station or one of its devices (audited)."""
    owner = _station_or_invalid(station)
    target: Station | Device = owner
    if device is not None:
        found = db.session.scalar(select(Device).where(Device.station_id == owner.id, Device.code == device))
        if found is None:
            raise Invalid(f"unknown device {device} at {station}", {"device": "unknown device"})
        target = found
    before = target.calibration_valid_until
    target.calibration_valid_until = valid_until
    db.session.flush()
    audit.record(
        "calibration.set",
        "device" if device else "station",
        target.id,
        {"station": station, "device": device, "before": before, "after": valid_until},
        actor=actor,
    )
    return target
