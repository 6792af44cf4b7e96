"""Repairs posted by M站s, so the shared case sees them without retyping (flush, never commit)."""

from __future__ import annotations

from typing import Any

from vehicle_enforce import signals
from vehicle_enforce.core import audit, batch
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.inspections.models import (
    Repair,
    StationKind,
)
from vehicle_enforce.inspections.posting import (
    add_once,
    check_not_future,
    match_posted,
    same_content,
    station_for_post,
    stored_by_key,
    utc_text,
)
from vehicle_enforce.inspections.schemas import RepairIn, RepairOut
from vehicle_enforce.reviews import queue as review_queue

# --------------------------------------------------------------------------------------------------
# Repairs (M站)


def repair_json(r: Repair, *, duplicate: bool = False) -> dict[str, Any]:
    """A repair as the API writes it (`RepairOut`)."""
    return RepairOut.model_validate(r).model_copy(update={"duplicate": duplicate}).model_dump(mode="json")


def record_repair(data: RepairIn, *, actor: Actor) -> tuple[Repair, bool]:
    """Store a repair posted by an M站 so the shared case sees it without retyping."""
    station = station_for_post(data.station, actor, {StationKind.repair.value})
    digest = batch.payload_hash({**data.model_dump(), "station": None, "repaired_at": utc_text(data.repaired_at)})
    existing = stored_by_key(Repair, Repair.repair_number, station.id, data.repair_number)
    if existing is not None:
        return same_content(existing, digest, "repair_number", data.repair_number), True
    check_not_future(data.repaired_at, "repaired_at")
    plate, match, fields = match_posted(data.plate, data.plate_color)
    repair = Repair(
        station_id=station.id,
        repair_number=data.repair_number,
        repaired_at=data.repaired_at,
        plate=plate,
        plate_color=data.plate_color,
        vehicle_id=fields["vehicle_id"],
        match_decision=fields["match_decision"],
        items=data.items,
        technician=data.technician,
        note=data.note,
        payload_sha256=digest,
    )
    again = add_once(repair, Repair.repair_number)
    if again is not None:
        return same_content(again, digest, "repair_number", data.repair_number), True
    review_queue.queue(review_queue.review_of("repair", repair, repair.repaired_at, match))
    audit.record(
        "repair.record",
        "repair",
        repair.id,
        {"station": station.code, "repair_number": data.repair_number, "plate": plate, "items": data.items},
        actor=actor,
    )
    signals.repair_stored.send("inspections", repair=repair)
    return repair, False
