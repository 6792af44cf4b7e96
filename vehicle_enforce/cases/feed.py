"""The change feed: listings, releases and case actions, for other departments' systems to follow.

Rows are written by a `signals.records_stored` receiver in the transaction that makes the change. Feed writers
take one transaction-scoped advisory lock on PostgreSQL (SQLite serialises writers anyway), so a row's
id is taken only after every earlier feed writer has committed or rolled back: the id order is the
commit order, and a reader that has seen id N can never later find a committed row below N. A
transaction that commits late is therefore never skipped, and the cursor (the last id seen) survives
restarts with nothing skipped or repeated. Only feed writers (listings, releases, case actions: the
`FEED_KINDS` sent through `signals.records_stored`) take the lock; passes and every other writer never
wait on it. Listings and case actions are rare next to passes, so the serialisation costs nothing that
matters. `tests/blacklist/test_feed_concurrency.py` checks both with concurrent writers on PostgreSQL.
No logical decoding: it needs server settings (wal_level=logical, a replication slot) a county cannot change.
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


_LOCK_HELD = "ve_feed_lock_held"


def write(batch: Sequence[signals.Record]) -> None:
    """Append a batch of stored records of one feed kind to the feed, after every earlier writer."""
    # The lock lasts until the transaction ends: take it once per transaction, not once per row (a
    # batch of passes that lists hundreds of vehicles writes two feed rows for each).
    if not db.session.info.get(_LOCK_HELD) and db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FEED_LOCK})
        # Remember the (sub)transaction that took it: a savepoint rolled back releases it again.
        session = db.session()
        session.info[_LOCK_HELD] = session.get_nested_transaction() or session.get_transaction()
    # Written now, in one bulk insert: the rows' ids are drawn inside this transaction, after the lock.
    bulk.insert_rows(
        ChangeFeedItem.__table__,
        [{"kind": e.kind, "object_id": str(e.object_id), "payload": e.payload, "at": e.occurred_at} for e in batch],
    )


def lock_released(session: Session, transaction: SessionTransaction) -> None:
    if session.info.get(_LOCK_HELD) is transaction:  # it may have released the lock: take it again next time
        session.info.pop(_LOCK_HELD, None)


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
