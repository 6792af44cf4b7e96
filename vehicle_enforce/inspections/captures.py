"""Black-smoke camera captures: stored for review, counted once an officer confirms (flush, never
commit)."""

from __future__ import annotations

import hashlib
from typing import Any

from plates import normalize_plate
from remote_sensing import (
    NoLimitSetError,
    judge_ringelmann,
)
from vehicle_enforce import signals
from vehicle_enforce.core import audit, batch
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Invalid, NotFound
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.models import (
    BlackSmokeCapture,
    ReviewStatus,
    StationKind,
)
from vehicle_enforce.inspections.posting import (
    add_once,
    check_not_future,
    match_fields,
    same_content,
    station_for_post,
    stored_by_key,
    utc_text,
)
from vehicle_enforce.inspections.rules import RulesBook, region
from vehicle_enforce.inspections.schemas import CaptureIn, CaptureOut, ReviewIn
from vehicle_enforce.reviews import queue as review_queue
from vehicle_enforce.signals import VerdictEvent
from vehicle_enforce.vehicles.matching import match_many

# --------------------------------------------------------------------------------------------------
# Black-smoke camera captures


CAPTURE_STATION_KINDS = {StationKind.black_smoke.value, StationKind.remote_sensing.value, StationKind.roadside.value}


def capture_json(
    c: BlackSmokeCapture, *, duplicate: bool = False, photos: list[dict[str, object]] | None = None
) -> dict[str, Any]:
    """A capture as the API writes it (`CaptureOut`; `CaptureDetail` with its photos)."""
    data = CaptureOut.model_validate(c).model_copy(update={"duplicate": duplicate}).model_dump(mode="json")
    if photos is not None:
        data["photos"] = photos
    return data


def _uploads(data: CaptureIn) -> list[evidence.Upload]:
    """The capture's photos and clip, decoded (a photo that is not base64 is refused, naming it)."""
    uploads = []
    for i, photo in enumerate(data.photos):
        content = evidence.decode_base64(photo.content_base64)
        if not content:
            raise Invalid("a photo is not base64 data", {f"photos.{i}.content_base64": "is not base64 data"})
        uploads.append(evidence.Upload(photo.name, content))
    return uploads


def _capture_hash(data: CaptureIn, uploads: list[evidence.Upload]) -> str:
    """The capture as posted (without the station, which is part of its key), photos by content."""
    payload = {
        "station": None,
        "capture_id": data.capture_id,
        "captured_at": utc_text(data.captured_at),
        "plate": data.plate,
        "plate_color": data.plate_color,
        "ringelmann": data.ringelmann,
        "site": data.site,
        "uploads": [[u.name, hashlib.sha256(u.content).hexdigest()] for u in uploads],
    }
    return batch.payload_hash(payload)


def record_capture(data: CaptureIn, *, actor: Actor) -> tuple[BlackSmokeCapture, bool]:
    """Store a camera hit in the review queue; it counts only once an officer confirms it."""
    uploads = _uploads(data)
    station = station_for_post(data.station, actor, CAPTURE_STATION_KINDS)
    digest = _capture_hash(data, uploads)
    existing = stored_by_key(BlackSmokeCapture, BlackSmokeCapture.capture_id, station.id, data.capture_id)
    if existing is not None:
        return same_content(existing, digest, "capture_id", data.capture_id), True
    check_not_future(data.captured_at, "captured_at")
    try:
        verdict = judge_ringelmann(
            data.ringelmann, RulesBook().on(local_day(data.captured_at)), on=data.captured_at, region=region() or None
        )
    except NoLimitSetError:
        raise Invalid("no limit set is in force on that day", {"captured_at": "no limit set in force"}) from None
    plate = normalize_plate(data.plate)
    match = match_many([(plate, data.plate_color)])[0] if plate else None
    fields = match_fields(match) if match is not None else {"vehicle_id": None, "match_decision": "pending"}
    capture = BlackSmokeCapture(
        station_id=station.id,
        capture_id=data.capture_id,
        captured_at=data.captured_at,
        site=data.site or station.location,
        plate=plate,
        plate_color=data.plate_color,
        vehicle_id=fields["vehicle_id"],
        match_decision=fields["match_decision"],
        ringelmann=data.ringelmann,
        verdict=verdict.verdict,
        limit_set=verdict.limit_set,
        review_status=ReviewStatus.pending.value,
        payload_sha256=digest,
    )
    again = add_once(capture, BlackSmokeCapture.capture_id)
    if again is not None:
        return same_content(again, digest, "capture_id", data.capture_id), True
    evidence.store([("black_smoke_capture", capture.id, up) for up in uploads])
    if review_queue.counts("black_smoke_capture", capture.verdict):
        review_queue.queue(review_queue.review_of("black_smoke_capture", capture, capture.captured_at, match))
    audit.record(
        "black_smoke.capture",
        "black_smoke_capture",
        capture.id,
        {"station": station.code, "capture_id": data.capture_id, "plate": plate, "ringelmann": data.ringelmann},
        actor=actor,
    )
    return capture, False


def review_capture(capture_id: int, data: ReviewIn, *, actor: Actor) -> BlackSmokeCapture:
    """An environment officer confirms or rejects a pending capture; confirmed ones count."""
    capture = db.session.get(BlackSmokeCapture, capture_id, with_for_update=True)
    if capture is None:
        raise NotFound(f"no black-smoke capture {capture_id}")
    decision, note = data.decision, data.note
    status = ReviewStatus.confirmed.value if decision == "confirm" else ReviewStatus.rejected.value
    if capture.review_status != ReviewStatus.pending.value:
        if capture.review_status == status:
            return capture  # a retried review changes nothing
        raise Conflict(
            f"capture {capture_id} was already {capture.review_status}",
            {"decision": f"already {capture.review_status}"},
        )
    capture.review_status = status
    capture.reviewed_by = actor.name
    capture.reviewed_at = now_utc()
    capture.review_note = note
    db.session.flush()
    audit.record(
        f"black_smoke.{status}", "black_smoke_capture", capture.id, {"review_status": status, "note": note}, actor=actor
    )
    if status == ReviewStatus.confirmed.value:
        signals.send_record("black_smoke_capture", capture.id, capture_json(capture), station=capture.station.code)
        if capture.vehicle_id is not None:
            signals.send_verdicts(
                "inspections",
                [
                    VerdictEvent(
                        "black_smoke", capture.id, capture.vehicle_id, capture.captured_at, capture.verdict, True
                    )
                ],
            )
    return capture
