"""What every record a station posts shares: the plate match fields, the posting station, the
future-time check and the answer to a re-sent key (flush, never commit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from plates import MatchResult, normalize_plate
from remote_sensing import (
    Verdict,
)
from vehicle_enforce.auth.models import Department
from vehicle_enforce.core import batch
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Forbidden, Invalid
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import BlackSmokeCapture, PlateStatus, Repair, RoadsideTest, Station
from vehicle_enforce.vehicles.matching import match_many

FUTURE_TOLERANCE = timedelta(minutes=10)


# --------------------------------------------------------------------------------------------------
# Plates


def plate_status(decision: str) -> str:
    if decision in ("exact", "probable"):
        return PlateStatus.matched.value
    if decision == "ambiguous":
        return PlateStatus.ambiguous.value
    return PlateStatus.unregistered.value


def match_fields(result: MatchResult) -> dict[str, Any]:
    """vehicle_id / match_decision / plate_status for a match result (ambiguous reads stay unlinked)."""
    chosen = result.match
    return {
        "vehicle_id": chosen.vehicle_id if chosen is not None else None,
        "match_decision": result.decision,
        "plate_status": plate_status(result.decision),
    }


def match_posted(plate_text: str, plate_color: str) -> tuple[str, MatchResult, dict[str, Any]]:
    """A posted record's plate: normalised, matched to the register, and its vehicle/decision fields."""
    plate = normalize_plate(plate_text)
    match = match_many([(plate, plate_color)])[0]
    return plate, match, match_fields(match)


def verdict_json(v: Verdict) -> list[dict[str, Any]]:
    return [{"item": e.item, "value": e.value, "limit": e.limit} for e in v.exceeded]


def station_for_post(code: str | None, actor: Actor, kinds: set[str]) -> Station:
    """The station a record is posted for: a station token's own; others must name a known station."""
    if actor.department == Department.station:
        station = db.session.get(Station, actor.station_id) if actor.station_id else None
        if station is None or (code is not None and code != station.code):
            raise Forbidden(
                "a station token may post only for its own station", {"station": "not this token's station"}
            )
    else:
        if code is None:
            raise Invalid("station is required", {"station": "field required"})
        station = db.session.scalar(select(Station).where(Station.code == code))
        if station is None:
            raise Invalid(f"unknown station {code}", {"station": "unknown station"})
    if station.kind not in kinds:
        raise Invalid(
            f"station {station.code} ({station.kind}) cannot post this record",
            {"station": f"must be a {' / '.join(sorted(kinds))} station"},
        )
    return station


def check_not_future(when: datetime, name: str) -> None:
    if when > now_utc() + FUTURE_TOLERANCE:
        raise Invalid(f"{name} is in the future", {name: "is more than 10 minutes in the future"})


def utc_text(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def same_content(stored: Any, digest: str, key: str, value: str) -> Any:
    """`stored` when a re-send carries the same content (a retry); 409 when the key was reused."""
    if stored.payload_sha256 is not None and stored.payload_sha256 != digest:
        raise Conflict(f"{key} {value} is already stored with other content", {key: batch.MESSAGES["conflict"]})
    return stored


Posted = TypeVar("Posted", RoadsideTest, BlackSmokeCapture, Repair)


def stored_by_key(model: type[Posted], key: InstrumentedAttribute[str], station_id: int, value: str) -> Posted | None:
    """The record a station already posted under this key (its report, capture or repair number)."""
    found: Posted | None = db.session.scalar(select(model).where(model.station_id == station_id, key == value))
    return found


def add_once(record: Posted, key: InstrumentedAttribute[str]) -> Posted | None:
    """Store a new record in a savepoint; None when it went in, else the record a concurrent post of
    the same station and key stored first (the rollback to the savepoint also forgets ours, so the
    session stays usable for the re-read)."""
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        again = stored_by_key(type(record), key, record.station_id, getattr(record, key.key))
        if again is None:
            raise
        return again
    return None
