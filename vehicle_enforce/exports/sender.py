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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
import requests
from flask import current_app
from sqlalchemy import bindparam, or_, select, text, update

from vehicle_enforce.core import transaction
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.exports import formats
from vehicle_enforce.exports.models import QUEUED, ExportRecord
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
    # Why records were not acknowledged (a platform's rejection reason, or the delivery error) -> records.
    reasons: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        kept = {k: v for k, v in self.__dict__.items() if k not in ("errors", "reasons")}
        return kept | {"errors": self.errors[-5:], "reasons": dict(self.reasons.most_common(10))}


def _setting(name: str, default: Any) -> Any:
    return current_app.config.get(name, default)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter, capped (EXPORT_BACKOFF_BASE seconds, EXPORT_BACKOFF_MAX)."""
    base = float(_setting("EXPORT_BACKOFF_BASE", 30.0))
    cap = float(_setting("EXPORT_BACKOFF_MAX", 3600.0))
    return timedelta(seconds=random.uniform(0, min(cap, base * 2 ** max(0, attempts - 1))))


@dataclass(slots=True)
class Claimed:
    """A claimed record: what its POST carries, and what a retry needs (no ORM object per record)."""

    id: int
    idempotency_key: str
    kind: str
    object_id: str
    station: str | None
    occurred_at: datetime
    payload: dict[str, Any]
    attempts: int


_T = ExportRecord.__table__
_CLAIMED_COLUMNS = (
    _T.c.id,
    _T.c.idempotency_key,
    _T.c.kind,
    _T.c.object_id,
    _T.c.station,
    _T.c.occurred_at,
    _T.c.payload,
    _T.c.attempts,
)


def claim(
    target: str,
    size: int,
    sender_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    include_failed: bool = False,
    after: int = 0,
) -> list[Claimed]:
    """Take up to `size` sendable records of `target` with ids above `after`; commit the claim.

    One statement: the oldest sendable rows (skipping those another sender has locked, on PostgreSQL)
    are leased and returned (`UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`).
    A run passes the last id it claimed as `after`: the queue index still holds the entries of the
    records it has just acknowledged until PostgreSQL vacuums them, and reading past them made each
    claim slower than the one before.
    """
    now = now_utc()
    lease = now + timedelta(seconds=float(_setting("EXPORT_LEASE_SECONDS", 300)))
    # Written out, not bound, so that PostgreSQL can read the queue index (whose predicate it is).
    queued = _T.c.status.in_(["pending", "sent", "failed"]) if include_failed else text(QUEUED)
    due = (
        select(_T.c.id)
        .where(
            _T.c.target == target,
            _T.c.id > after,
            queued,
            _T.c.next_attempt_at <= now,
            or_(_T.c.lease_until.is_(None), _T.c.lease_until < now),
        )
        .order_by(_T.c.id)
        .limit(size)
    )
    if since is not None:
        due = due.where(_T.c.occurred_at >= since)
    if until is not None:
        due = due.where(_T.c.occurred_at < until)
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(_T)
        .where(_T.c.id.in_(due.scalar_subquery()))
        .values(claimed_by=sender_id, lease_until=lease, status="sent", sent_at=now)
        .returning(*_CLAIMED_COLUMNS)
    )
    claimed = sorted((Claimed(*row) for row in db.session.execute(stmt)), key=lambda c: c.id)
    transaction.checkpoint()  # the claim is durable before sending: another sender skips these records
    return claimed


#: What a batch is made of: claimed records (the sender), or stored ones (tests, previews).
Sendable = Claimed | ExportRecord


def batch_body(target: str, records: Sequence[Sendable], version: int = 1) -> dict[str, Any]:
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


def batch_body_v2(target: str, records: Sequence[Sendable]) -> dict[str, Any]:
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


def _retry_later(records: list[Claimed], error: str, summary: RunSummary) -> None:
    max_attempts = int(_setting("EXPORT_MAX_ATTEMPTS", 20))
    now = now_utc()
    rows = []
    summary.reasons[error[:200]] += len(records)
    for r in records:
        attempts = r.attempts + 1
        gave_up = attempts >= max_attempts
        rows.append(
            {
                "b_id": r.id,
                "attempts": attempts,
                "last_error": error[:500],
                "status": "failed" if gave_up else "pending",
                "next_attempt_at": now if gave_up else now + backoff(attempts),
            }
        )
        if gave_up:
            summary.failed += 1
        else:
            summary.retried += 1
    _update_each(rows, ("attempts", "last_error", "status", "next_attempt_at"))


def _update_each(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """One executemany: per record values (`b_id` names the row), the lease released."""
    if not rows:
        return
    stmt = (
        update(_T)
        .where(_T.c.id == bindparam("b_id"))
        .values({**{c: bindparam(c) for c in columns}, "claimed_by": None, "lease_until": None})
    )
    db.session.connection().execute(stmt, rows)


_ACKNOWLEDGE = (
    update(_T)
    .where(_T.c.id.in_(bindparam("ids", expanding=True)))
    .values(status="acknowledged", acknowledged_at=bindparam("now"), claimed_by=None, lease_until=None)
)


def _acknowledge(ids: list[int], now: datetime) -> None:
    """Mark a batch's acknowledged records in one statement."""
    if ids:
        db.session.execute(_ACKNOWLEDGE, {"ids": ids, "now": now})


def _post(target: str, spec: dict[str, Any], records: list[Claimed], session: requests.Session) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if spec.get("token"):
        headers["Authorization"] = f"Bearer {spec['token']}"
    # orjson: the standard library's encoder was most of the sender's own time for a 1,000-record batch.
    body = orjson.dumps(
        batch_body(target, records, formats.version_of(spec)), default=str, option=orjson.OPT_NON_STR_KEYS
    )
    return session.post(spec["url"], data=body, timeout=float(spec.get("timeout", 10.0)), headers=headers)


def send_batch(
    target: str, spec: dict[str, Any], records: list[Claimed], summary: RunSummary, session: requests.Session
) -> None:
    try:
        response = _post(target, spec, records, session)
    except requests.RequestException as exc:
        _retry_later(records, f"network: {exc.__class__.__name__}: {exc}", summary)
        summary.errors.append(str(exc))
        return
    if response.status_code >= 500 or response.status_code in (408, 429):
        _retry_later(records, f"HTTP {response.status_code}: {response.text[:200]}", summary)
        return
    try:
        acks = {a["idempotency_key"]: a for a in orjson.loads(response.content)["results"]}
    except (ValueError, KeyError, TypeError):
        _retry_later(records, f"HTTP {response.status_code}: unreadable acknowledgement", summary)
        return
    acknowledged: list[int] = []
    rejected: list[dict[str, Any]] = []
    unacknowledged: list[Claimed] = []
    for r in records:
        ack = acks.get(r.idempotency_key)
        if ack is None:
            unacknowledged.append(r)
        elif ack.get("status") in ("accepted", "duplicate"):
            acknowledged.append(r.id)
        else:
            reason = str(ack.get("reason") or "rejected by the platform")[:500]
            rejected.append({"b_id": r.id, "status": "rejected", "last_error": reason})
            summary.reasons[reason[:200]] += 1
    _acknowledge(acknowledged, now_utc())
    summary.acknowledged += len(acknowledged)
    _update_each(rejected, ("status", "last_error"))
    summary.rejected += len(rejected)
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
    """One pass over every configured target (or one): send what is due, in id order, until nothing is
    left (a record whose retry falls due during the pass waits for the next pass)."""
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
        last_id = 0
        with requests.Session() as session:
            while max_batches is None or summary.batches < max_batches:
                # One sweep in id order: a record retried during this run is sent by the next run.
                records = claim(
                    name, size, sender_id, since=since, until=until, include_failed=retry_failed, after=last_id
                )
                if not records:
                    break
                last_id = records[-1].id
                summary.batches += 1
                summary.sent += len(records)
                send_batch(name, spec, records, summary, session)
                # The outcome commits with the next claim (one commit per batch, not two): either way
                # it is kept before the next batch is sent, so at most the batch in flight is re-sent.
            transaction.checkpoint()
        log.info("export run %s: %s", name, summary.as_dict())
    return summaries
