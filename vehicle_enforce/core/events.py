"""Domain events inside the transaction that stores the record.

A domain calls `emit(...)` right after it adds a record worth telling others about (a pass, a listing,
a case action...). Subscribers run synchronously in the same session, so what they write (an export
outbox row, a change-feed entry) commits or rolls back with the record itself: nothing lost, nothing
invented. Subscribers register at import time with `@subscribe`; each gets a list of events of one
kind (`emit_many`: a batch of 10,000 passes is one call per subscriber, not 10,000).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vehicle_enforce.core.timeutil import now_utc

# Record kinds that leave the county (export) or that other departments follow (change feed).
KINDS = frozenset(
    {
        "remote_sensing_pass",
        "remote_sensing_pass_withdrawal",  # a correction: the pass was withdrawn as evidence
        "roadside_test",
        "black_smoke_capture",
        "blacklist_listing",
        "blacklist_release",
        "case_action",
        "nrmm_registration",
        "nrmm_spot_check",
        "phaseout_action",
    }
)


@dataclass(frozen=True)
class Event:
    kind: str
    object_id: int | str
    payload: dict[str, Any]
    station: str | None = None
    occurred_at: datetime = field(default_factory=now_utc)


Subscriber = Callable[[Sequence[Event]], None]
_SUBSCRIBERS: list[Subscriber] = []


def subscribe(func: Subscriber) -> Subscriber:
    if func not in _SUBSCRIBERS:
        _SUBSCRIBERS.append(func)
    return func


_FLUSHERS: list[Callable[[], None]] = []


def on_flush(func: Callable[[], None]) -> Callable[[], None]:
    """Register a subscriber's "write what you hold now" (subscribers that write in bulk at commit)."""
    if func not in _FLUSHERS:
        _FLUSHERS.append(func)
    return func


def flush() -> None:
    """Have bulk-writing subscribers write what they queued so far, inside the transaction.

    Call it before taking locks that other requests wait for, so that work is not done while holding them.
    """
    for func in list(_FLUSHERS):
        func()


def emit(kind: str, object_id: int | str, payload: dict[str, Any], *, station: str | None = None) -> Event:
    """Tell subscribers about a stored record; call it inside the storing transaction, after flush."""
    return emit_many(kind, [(object_id, payload, station)])[0]


def emit_many(kind: str, records: Iterable[tuple[int | str, dict[str, Any], str | None]]) -> list[Event]:
    """Tell subscribers about stored records of one kind, as (object id, payload, station), at once."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}; add it to core.events.KINDS")
    occurred_at = now_utc()
    batch = [Event(kind, object_id, payload, station, occurred_at) for object_id, payload, station in records]
    if batch:
        for subscriber in list(_SUBSCRIBERS):
            subscriber(batch)
    return batch
