"""Send queued records to a platform: batches of JSON over `requests`, acknowledged per record.

Safe to run twice at once: a sender claims its batch with a lease (`claimed_by`, `lease_until`) using
`FOR UPDATE SKIP LOCKED` on PostgreSQL, and commits the claim before sending, so another sender skips
those rows. A sender killed mid-batch leaves rows claimed until the lease ends; the next run sends them
again with the same idempotency keys, and the platform counts them once (at most the in-flight batch
is re-sent). Network errors and 5xx answers are retried with exponential backoff and jitter; records
the platform rejects as invalid are marked `rejected` with its reason and wait for a person.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import current_app
from sqlalchemy import or_, select, update

from vehicle_enforce.core import transaction
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.exports import formats
from vehicle_enforce.exports.models import ExportRecord
from vehicle_enforce.exports.outbox import targets
from vehicle_enforce.extensions import db

log = logging.getLogger("vehicle_enforce.exports")
PROTOCOL_VERSION = "1"


@dataclass
class RunSummary:
    target: str
    batches: int = 0
    sent: int = 0
    acknowledged: int = 0
    rejected: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "errors"} | {"errors": self.errors[-5:]}


def _setting(name: str, default: Any) -> Any:
    return current_app.config.get(name, default)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter, capped (EXPORT_BACKOFF_BASE seconds, EXPORT_BACKOFF_MAX)."""
    base = float(_setting("EXPORT_BACKOFF_BASE", 30.0))
    cap = float(_setting("EXPORT_BACKOFF_MAX", 3600.0))
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** max(0, attempts - 1))))


def claim(
    target: str,
    size: int,
    sender_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    include_failed: bool = False,
) -> list[ExportRecord]:
    """Take up to `size` sendable records of `target` for this sender; commit the claim."""
    now = now_utc()
    lease = now + timedelta(seconds=float(_setting("EXPORT_LEASE_SECONDS", 300)))
    statuses = ["pending", "sent"] + (["failed"] if include_failed else [])
    stmt = (
        select(ExportRecord.id)
        .where(
            ExportRecord.target == target,
            ExportRecord.status.in_(statuses),
            ExportRecord.next_attempt_at <= now,
            or_(ExportRecord.lease_until.is_(None), ExportRecord.lease_until < now),
        )
        .order_by(ExportRecord.id)
        .limit(size)
    )
    if since is not None:
        stmt = stmt.where(ExportRecord.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(ExportRecord.occurred_at < until)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(stmt))
    if not ids:
        transaction.checkpoint()
        return []
    db.session.execute(
        update(ExportRecord)
        .where(ExportRecord.id.in_(ids))
        .values(claimed_by=sender_id, lease_until=lease, status="sent", sent_at=now)
    )
    transaction.checkpoint()  # the claim is durable before sending: another sender skips these records
    return list(db.session.scalars(select(ExportRecord).where(ExportRecord.id.in_(ids)).order_by(ExportRecord.id)))


def batch_body(target: str, records: list[ExportRecord], version: int = 1) -> dict[str, Any]:
    """The POST body in the target's format version (docs/export-protocol.md)."""
    if version == 2:
        return batch_body_v2(target, records)
    return {
        "protocol": PROTOCOL_VERSION,
        "batch_id": uuid.uuid4().hex,
        "source": {"region_code": current_app.config.get("REGION_CODE"), "system": "vehicle-enforce"},
        "target": target,
        "records": [
            {
                "idempotency_key": r.idempotency_key,
                "kind": r.kind,
                "object_id": r.object_id,
                "station": r.station,
                "occurred_at": r.occurred_at.isoformat(),
                "payload": r.payload,
            }
            for r in records
        ],
    }


def batch_body_v2(target: str, records: list[ExportRecord]) -> dict[str, Any]:
    """Version 2: the platform's Chinese fields and codes, integer ids, +08:00 times, a pass's photos,
    device, plate confidence and match decision (`exports.formats`)."""
    details = formats.details_for(records)
    body = formats.translate(
        {
            "protocol": "2",
            "batch_id": uuid.uuid4().hex,
            "source": formats.translate(
                {"region_code": current_app.config.get("REGION_CODE"), "system": "vehicle-enforce"}, None, "批次"
            ),
            "target": target,
            "records": [formats.record_v2(r, details.get((r.kind, r.object_id))) for r in records],
        },
        None,
        "批次",
    )
    return body


def _retry_later(records: list[ExportRecord], error: str, summary: RunSummary) -> None:
    max_attempts = int(_setting("EXPORT_MAX_ATTEMPTS", 20))
    now = now_utc()
    for r in records:
        r.attempts += 1
        r.last_error = error[:500]
        r.claimed_by = None
        r.lease_until = None
        if r.attempts >= max_attempts:
            r.status = "failed"
            summary.failed += 1
        else:
            r.status = "pending"
            r.next_attempt_at = now + backoff(r.attempts)
            summary.retried += 1


def send_batch(
    target: str, spec: dict[str, Any], records: list[ExportRecord], summary: RunSummary, session: requests.Session
) -> None:
    try:
        response = session.post(
            spec["url"],
            json=batch_body(target, records, formats.version_of(spec)),
            timeout=float(spec.get("timeout", 10.0)),
            headers={"Authorization": f"Bearer {spec['token']}"} if spec.get("token") else {},
        )
    except requests.RequestException as exc:
        _retry_later(records, f"network: {exc.__class__.__name__}: {exc}", summary)
        summary.errors.append(str(exc))
        return
    if response.status_code >= 500 or response.status_code in (408, 429):
        _retry_later(records, f"HTTP {response.status_code}: {response.text[:200]}", summary)
        return
    try:
        acks = {a["idempotency_key"]: a for a in response.json()["results"]}
    except (ValueError, KeyError, TypeError):
        _retry_later(records, f"HTTP {response.status_code}: unreadable acknowledgement", summary)
        return
    now = now_utc()
    unacknowledged = []
    for r in records:
        ack = acks.get(r.idempotency_key)
        if ack is None:
            unacknowledged.append(r)
        elif ack.get("status") in ("accepted", "duplicate"):
            r.status, r.acknowledged_at, r.claimed_by, r.lease_until = "acknowledged", now, None, None
            summary.acknowledged += 1
        else:
            r.status, r.claimed_by, r.lease_until = "rejected", None, None
            r.last_error = str(ack.get("reason") or "rejected by the platform")[:500]
            summary.rejected += 1
    if unacknowledged:
        _retry_later(unacknowledged, "no acknowledgement for the record", summary)


def run(
    target: str | None = None,
    *,
    dry_run: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    max_batches: int | None = None,
    retry_failed: bool = False,
) -> list[RunSummary]:
    """One pass over every configured target (or one): send what is due, until nothing is left."""
    sender_id = f"sender-{uuid.uuid4().hex[:12]}"
    summaries = []
    for name, spec in targets().items():
        if target not in (None, name):
            continue
        summary = RunSummary(name)
        summaries.append(summary)
        if not spec.get("url"):
            summary.errors.append("no url configured; records stay queued")
            continue
        size = int(spec.get("batch_size", 500))
        if dry_run:
            stmt = select(ExportRecord.id).where(
                ExportRecord.target == name, ExportRecord.status.in_(["pending", "sent"])
            )
            summary.sent = len(list(db.session.scalars(stmt)))
            continue
        with requests.Session() as session:
            while max_batches is None or summary.batches < max_batches:
                records = claim(name, size, sender_id, since=since, until=until, include_failed=retry_failed)
                if not records:
                    break
                summary.batches += 1
                summary.sent += len(records)
                send_batch(name, spec, records, summary, session)
                transaction.checkpoint()  # each batch's outcome is kept before the next is claimed
        log.info("export run %s: %s", name, summary.as_dict())
    return summaries
