"""Background work: re-read a pending pass's plate from its stored photo, then match it."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from plates import normalize_plate
from vehicle_enforce.core import audit
from vehicle_enforce.core.tasks import background_task
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.hooks import VerdictEvent, notify_verdicts
from vehicle_enforce.inspections.models import EvidenceFile, EvidenceLink, PlateStatus, RemoteSensingPass
from vehicle_enforce.inspections.services import match_fields
from vehicle_enforce.vehicles import plate_reading
from vehicle_enforce.vehicles.matching import match_plate

log = logging.getLogger(__name__)


@background_task("inspections.read_plate")
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
    threshold = float(current_app.config.get("PLATE_CONFIDENCE_THRESHOLD", 0.8))
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
    if best is None or best.confidence < threshold or not normalize_plate(best.plate):
        log.info("pass %s: no confident plate read in %d photo(s); stays pending", pass_id, len(shas))
        return "pending"
    before = {"plate": row.plate, "plate_color": row.plate_color, "plate_confidence": row.plate_confidence}
    row.plate = normalize_plate(best.plate)
    if best.color and best.color != "unknown":
        row.plate_color = best.color
    row.plate_confidence = float(best.confidence)
    fields = match_fields(match_plate(row.plate, row.plate_color))
    row.vehicle_id = fields["vehicle_id"]
    row.match_decision = fields["match_decision"]
    row.plate_status = fields["plate_status"]
    db.session.flush()
    audit.record(
        "remote_sensing.plate_read",
        "remote_sensing_pass",
        row.id,
        {"before": before, "after": {"plate": row.plate, "plate_color": row.plate_color}, **fields},
    )
    if row.vehicle_id is not None:
        notify_verdicts(
            [
                VerdictEvent(
                    "remote_sensing", row.id, row.vehicle_id, row.measured_at, row.verdict, row.verdict != "invalid"
                )
            ]
        )
    return row.plate_status
