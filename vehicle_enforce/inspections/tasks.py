"""Background work: re-read a pending pass's plate from its stored photo, then match it."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from plates import normalize_plate
from vehicle_enforce import signals
from vehicle_enforce.core import actors, audit
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.models import EvidenceFile, EvidenceLink, PlateStatus, RemoteSensingPass
from vehicle_enforce.inspections.posting import match_fields
from vehicle_enforce.reviews import queue as review_queue
from vehicle_enforce.vehicles import plate_reading
from vehicle_enforce.vehicles.matching import match_plate

log = logging.getLogger(__name__)

#: Who the background plate reader acts as in the audit log.
READER = actors.system("task:read_plate")


def read_plate(pass_id: int) -> str:
    """Read the plate of a pending pass from its photos; link it when the read is confident enough."""
    row = db.session.get(RemoteSensingPass, pass_id, with_for_update=True)
    if row is None or row.plate_status != PlateStatus.pending.value:
        return "skipped"
    reader = plate_reading.reader()
    if reader is None:
        log.warning("pass %s stays pending: no plate reader", pass_id)
        return "pending"
    shas = db.session.scalars(
        select(EvidenceFile.sha256)
        .join(EvidenceLink, EvidenceLink.evidence_file_id == EvidenceFile.id)
        .where(EvidenceLink.object_type == "remote_sensing_pass", EvidenceLink.object_id == pass_id)
        .order_by(EvidenceLink.name)
    ).all()
    threshold = plate_reading.reader_threshold()  # the reader's own, not the one for devices' confidences
    best = None
    for sha in shas:
        content, media = evidence.read(sha)
        if not media.startswith("image/"):
            continue
        try:
            readings = reader(content)
        except Exception:  # a photo the reader cannot decode must not fail the task for the others
            log.exception("plate reader failed on evidence %s of pass %s", sha, pass_id)
            continue
        for reading in readings:
            if best is None or reading.confidence > best.confidence:
                best = reading
    if best is None or not normalize_plate(best.plate):
        log.info("pass %s: no plate read in %d photo(s); stays pending", pass_id, len(shas))
        return "pending"
    if best.confidence < threshold:
        return _doubtful(row, best, threshold)
    before = {"plate": row.plate, "plate_color": row.plate_color, "plate_confidence": row.plate_confidence}
    row.plate = normalize_plate(best.plate)
    if best.color and best.color != "unknown":
        row.plate_color = best.color
    row.plate_confidence = float(best.confidence)
    result = match_plate(row.plate, row.plate_color)
    fields = match_fields(result)
    row.vehicle_id = fields["vehicle_id"]
    row.match_decision = fields["match_decision"]
    row.plate_status = fields["plate_status"]
    db.session.flush()
    audit.record(
        "remote_sensing.plate_read",
        "remote_sensing_pass",
        row.id,
        {"before": before, "after": {"plate": row.plate, "plate_color": row.plate_color}, **fields},
        actor=READER,
    )
    if review_queue.counts("remote_sensing_pass", row.verdict):
        review_queue.reread(review_queue.review_of("remote_sensing_pass", row, row.measured_at, result))
    if row.vehicle_id is not None:
        signals.send_verdicts(
            "inspections",
            [
                signals.VerdictEvent(
                    "remote_sensing", row.id, row.vehicle_id, row.measured_at, row.verdict, row.verdict != "invalid"
                )
            ],
        )
    return row.plate_status


def _doubtful(row: RemoteSensingPass, best: Any, threshold: float) -> str:
    """A read below the reader's threshold is kept, never dropped: the pass stays pending (counts toward
    nothing, waits for match review) as a device's low-confidence read does; a pass the device left
    without a plate takes the read, one with the device's own read keeps it, and the audit log holds
    the reader's read either way."""
    read = {"plate": normalize_plate(best.plate), "plate_color": best.color, "plate_confidence": float(best.confidence)}
    before = {"plate": row.plate, "plate_color": row.plate_color, "plate_confidence": row.plate_confidence}
    if not row.plate:
        row.plate = read["plate"]
        if best.color and best.color != "unknown":
            row.plate_color = best.color
        row.plate_confidence = read["plate_confidence"]
    row.plate_status = PlateStatus.pending.value
    row.match_decision = "pending"
    db.session.flush()
    audit.record(
        "remote_sensing.plate_read_doubtful",
        "remote_sensing_pass",
        row.id,
        {"before": before, "read": read, "threshold": threshold},
        actor=READER,
    )
    if review_queue.counts("remote_sensing_pass", row.verdict):
        # The person reviewing it sees the reader's read and the vehicles near it.
        review_queue.reread(
            review_queue.review_of(
                "remote_sensing_pass",
                row,
                row.measured_at,
                match_plate(read["plate"], row.plate_color),
                plate=read["plate"],
                confidence=read["plate_confidence"],
                decision="pending",
                vehicle_id=None,
            )
        )
    log.info("pass %s: plate read %s below the reader's threshold; stays pending for review", row.id, read["plate"])
    return "doubtful"
