"""The change feed: listings, releases and case actions, for other departments' systems to follow.

Rows are queued by a `signals.records_stored` receiver in the transaction that makes the change, and
written just before it commits (the session's `before_commit`): there the writer takes one
transaction-scoped advisory lock on PostgreSQL (SQLite serialises writers anyway), then draws the rows'
ids in one bulk insert and commits. So a row's id is drawn only after every earlier feed writer has
committed or rolled back: the id order is the commit order, and a reader that has seen id N can never
later find a committed row below N. A transaction that commits late is therefore never skipped, and the
cursor (the last id seen) survives restarts with nothing skipped or repeated. The lock is held only from
that insert to the commit (not from the listing rule's first feed row on, as before:
`benchmarks/bench_feed_lock.py` measured listing batches holding it for most of a second), and only feed
writers (listings, releases, case actions: the `FEED_KINDS` sent through `signals.records_stored`) take
it; passes and every other writer never wait on it. Rows queued inside a savepoint that rolls back are
dropped with it. `tests/blacklist/test_feed_concurrency.py` checks all of this with concurrent writers on
PostgreSQL. No logical decoding: it needs server settings (wal_level=logical, a replication slot) a
county cannot change.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, SessionTransaction

from vehicle_enforce import signals
from vehicle_enforce.cases.models import ChangeFeedItem
from vehicle_enforce.core import bulk
from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.extensions import db

FEED_KINDS = frozenset({"blacklist_listing", "blacklist_release", "case_action"})
FEED_LOCK = 7_231_904  # advisory lock key shared by every feed writer

#: session.info key: the rows queued in this transaction, each with the (sub)transaction that queued it.
_PENDING = "ve_feed_pending"


def write(batch: Sequence[signals.Record]) -> None:
    """Queue a batch of stored records of one feed kind for the feed; written at commit (`write_pending`)."""
    session = db.session()
    session.connection()  # the transaction is open: the rows belong to it (or to its savepoint)
    owner = session.get_nested_transaction() or session.get_transaction()
    pending: list[tuple[SessionTransaction | None, dict[str, Any]]] = session.info.setdefault(_PENDING, [])
    pending.extend(
        (owner, {"kind": e.kind, "object_id": str(e.object_id), "payload": e.payload, "at": e.occurred_at})
        for e in batch
    )


def write_pending(session: Session) -> None:
    """Take the feed lock, then insert the queued rows: their ids are drawn after every earlier feed
    writer has ended (the session's `before_commit`)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK})
    bulk.insert_rows(ChangeFeedItem.__table__, [row for _owner, row in pending])


def forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Drop the rows queued inside a (sub)transaction that rolled back (the session's `after_soft_rollback`)."""
    pending = session.info.get(_PENDING)
    if not pending:
        return

    def inside(owner: SessionTransaction | None) -> bool:
        while owner is not None:
            if owner is previous:
                return True
            owner = owner.parent
        return False

    kept = [(owner, row) for owner, row in pending if not inside(owner)]
    if kept:
        session.info[_PENDING] = kept
    else:
        session.info.pop(_PENDING, None)


def transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without its commit writing the rows (closed, rolled back) leaves none behind."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def encode(item_id: int) -> str:
    return base64.urlsafe_b64encode(f"feed:{item_id}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        prefix, _, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if prefix != "feed" or not value.isdigit():
            raise ValueError(cursor)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("cursor is not one this feed gave out", {"after": "invalid cursor"}) from None
    return int(value)


def read(after: str | None, limit: int = 500) -> dict[str, Any]:
    last = decode(after)
    stmt = select(ChangeFeedItem).where(ChangeFeedItem.id > last).order_by(ChangeFeedItem.id).limit(limit)
    rows = list(db.session.scalars(stmt))
    return {
        "changes": [
            {"id": r.id, "kind": r.kind, "object_id": r.object_id, "at": r.at.isoformat(), "payload": r.payload}
            for r in rows
        ],
        "next_cursor": encode(rows[-1].id if rows else last),
    }
