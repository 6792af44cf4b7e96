"""Queue every exportable record for each configured target, in the transaction that stores it.

A `signals.records_stored` receiver collects the rows on the session and writes them in one bulk insert just
before the session commits (COPY on PostgreSQL), so a 10,000-pass batch costs one statement, and the
outbox rows commit or roll back with the records: a crash can neither lose an export nor invent one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from vehicle_enforce import signals
from vehicle_enforce.core import bulk
from vehicle_enforce.core.timeutil import local_day
from vehicle_enforce.exports.models import ExportRecord
from vehicle_enforce.extensions import db

ALL_KINDS = sorted(signals.RECORD_KINDS)
DEFAULT_TARGETS: dict[str, dict[str, Any]] = {
    # The provincial platform takes every record type; the national over-emission platform takes the
    # measurements, listings and enforcement steps. URLs are per deployment (VE_EXPORT_TARGETS).
    "provincial": {"url": None, "kinds": ALL_KINDS, "batch_size": 500, "timeout": 10.0},
    "national": {
        "url": None,
        "kinds": [
            "remote_sensing_pass",
            "remote_sensing_pass_withdrawal",
            "roadside_test",
            "roadside_test_withdrawal",
            "blacklist_listing",
            "blacklist_release",
            "case_action",
        ],
        "batch_size": 500,
        "timeout": 10.0,
    },
}


def targets() -> dict[str, dict[str, Any]]:
    configured = current_app.config.get("EXPORT_TARGETS") or {}
    merged = {name: dict(spec) for name, spec in DEFAULT_TARGETS.items()}
    for name, spec in configured.items():
        merged[name] = {**merged.get(name, {"kinds": ALL_KINDS, "batch_size": 500, "timeout": 10.0}), **spec}
    return merged


PENDING_KEY = "ve_export_outbox"
#: Payload fields holding when a record's thing happened, by record kind (ISO 8601 with an offset).
HAPPENED_FIELDS = ("measured_at", "tested_at", "captured_at", "checked_at")


def happened_at(event: signals.Record) -> datetime:
    """The measured / tested / captured / checked time of the record, else when it was stored."""
    for name in HAPPENED_FIELDS:
        value = event.payload.get(name)
        if not isinstance(value, str):
            continue
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            continue
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    return event.occurred_at


def on_records_stored(kind: str, *, records: Sequence[signals.Record]) -> None:
    """Queue the stored records for every target that takes their kind (written at commit)."""
    batch = records  # one kind, stored at one time (signals.send_records)
    pending = _pending()
    names = [name for name, kinds in pending["routes"] if kind in kinds]
    if not names:
        return
    rows, region = pending["rows"], pending["region"]
    stored_at = batch[0].occurred_at
    for event in batch:
        # When the thing happened (measured, tested, captured, checked), not when it was stored: a
        # back-filled pass carries its own time and counts for the transmission rate of its own day.
        occurred_at = happened_at(event)
        due_day = local_day(occurred_at)
        for name in names:
            rows.append(
                {
                    "target": name,
                    "kind": kind,
                    "object_id": str(event.object_id),
                    "station": event.station,
                    # The receiver's duplicate guard: the same record to the same target, whatever the retry.
                    "idempotency_key": f"{region}:{name}:{kind}:{event.object_id}",
                    "payload": event.payload,
                    "occurred_at": occurred_at,
                    "due_day": due_day,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": stored_at,
                    "created_at": stored_at,
                }
            )


def _pending() -> dict[str, Any]:
    pending = db.session.info.get(PENDING_KEY)
    if pending is None:
        # First event of this transaction: open it (so its rollback also drops these rows) and read the
        # targets and region once.
        db.session.connection()
        region = current_app.config.get("REGION_CODE") or "000000"
        routes = [(name, frozenset(spec.get("kinds", ALL_KINDS))) for name, spec in targets().items()]
        pending = db.session.info[PENDING_KEY] = {"rows": [], "routes": routes, "region": region}
    return pending


def write_outbox(session: Session) -> None:
    """Write the queued rows in one bulk insert (the session's `before_commit`)."""
    pending = session.info.pop(PENDING_KEY, None)
    if not pending or not pending["rows"]:
        return
    rows = pending["rows"]
    bulk.insert_rows(ExportRecord.__table__, rows)


def write_now(_sender: str) -> None:
    """Write the rows queued so far now (`signals.bulk_writes_due`: before the sender takes locks)."""
    write_outbox(db.session())


def forget_outbox(session: Session, _previous: object) -> None:
    session.info.pop(PENDING_KEY, None)
