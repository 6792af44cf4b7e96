"""Queue every exportable record for each configured target, in the transaction that stores it.

A `core.events` subscriber collects the rows on the session and writes them in one bulk insert just
before the session commits (COPY on PostgreSQL), so a 10,000-pass batch costs one statement, and the
outbox rows commit or roll back with the records: a crash can neither lose an export nor invent one.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from vehicle_enforce.core import bulk, events
from vehicle_enforce.core.timeutil import local_day
from vehicle_enforce.exports.models import ExportRecord
from vehicle_enforce.extensions import db

ALL_KINDS = sorted(events.KINDS)
DEFAULT_TARGETS: dict[str, dict[str, Any]] = {
    # The provincial platform takes every record type; the national over-emission platform takes the
    # measurements, listings and enforcement steps. URLs are per deployment (VE_EXPORT_TARGETS).
    "provincial": {"url": None, "kinds": ALL_KINDS, "batch_size": 500, "timeout": 10.0},
    "national": {
        "url": None,
        "kinds": ["remote_sensing_pass", "roadside_test", "blacklist_listing", "blacklist_release", "case_action"],
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


def idempotency_key(target: str, kind: str, object_id: object) -> str:
    region = current_app.config.get("REGION_CODE") or "000000"
    return f"{region}:{target}:{kind}:{object_id}"


PENDING_KEY = "ve_export_outbox"


@events.subscribe
def _enqueue(event: events.Event) -> None:
    db.session.connection()  # make sure a transaction is open, so its rollback also drops these rows
    rows = db.session.info.setdefault(PENDING_KEY, [])
    for name, spec in targets().items():
        if event.kind not in spec.get("kinds", ALL_KINDS):
            continue
        rows.append(
            {
                "target": name,
                "kind": event.kind,
                "object_id": str(event.object_id),
                "station": event.station,
                "idempotency_key": idempotency_key(name, event.kind, event.object_id),
                "payload": event.payload,
                "occurred_at": event.occurred_at,
                "due_day": local_day(event.occurred_at),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": event.occurred_at,
                "created_at": event.occurred_at,
            }
        )


@sa_event.listens_for(Session, "before_commit")
def _write_outbox(session: Session) -> None:
    rows = session.info.pop(PENDING_KEY, None)
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        rows = [{**row, "payload": json.dumps(row["payload"], ensure_ascii=False, default=str)} for row in rows]
    bulk.insert_rows(ExportRecord.__table__, rows)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_outbox(session: Session, _previous: object) -> None:
    session.info.pop(PENDING_KEY, None)
