"""What cases connects when the app is built: a case per listing, the change feed, repairs, scrapping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from vehicle_enforce import signals
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.cases import feed, services, withdrawn
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.db import listen


def init_app(_app: Flask) -> None:
    signals.connect(signals.vehicle_listed, open_cases)
    signals.connect(signals.listing_retested, record_retests)
    signals.connect(signals.listing_released, close_released)
    signals.connect(signals.listing_evidence_withdrawn, evidence_withdrawn)
    signals.connect(signals.case_step_record_withdrawn, step_record_withdrawn)
    signals.connect(signals.records_stored, write_feed)
    signals.connect(signals.vehicle_retired, close_for_retirement)
    signals.connect(signals.repair_stored, record_repair)
    signals.connect(signals.vehicle_history_wanted, history)
    # The feed's rows are written last before the commit, under its lock (cases/feed.py).
    listen(Session, "before_commit", feed.write_pending)
    listen(Session, "after_soft_rollback", feed.forget_rolled_back)
    listen(Session, "after_transaction_end", feed.transaction_ended)


def open_cases(_sender: str, *, entries: Sequence[Any], actor: Actor) -> None:
    """Every new blacklist entry opens its case, in the listing's transaction."""
    services.open_cases(entries, actor=actor)


def record_retests(_sender: str, *, retests: Sequence[tuple[Any, signals.VerdictEvent]]) -> None:
    """A retest of a repaired vehicle dated after its repair closes the case or sends it back to repair."""
    for entry, verdict in retests:
        services.retest_recorded(entry, verdict)


def evidence_withdrawn(
    _sender: str, *, entry: BlacklistEntry, records: Sequence[tuple[str, int]], why: str, actor: Actor
) -> tuple[str, int]:
    """Withdrawn evidence under a listing: released with its case, or a review task once the case went on."""
    return withdrawn.evidence_withdrawn(entry, records, why, actor=actor)


def step_record_withdrawn(
    _sender: str, *, record_kind: str, record_ids: Sequence[int], why: str, actor: Actor
) -> list[int]:
    """A withdrawn retest or M站 repair a case step named: a review task for that case."""
    return withdrawn.step_record_withdrawn(record_kind, record_ids, why, actor=actor)


def close_released(_sender: str, *, entry: Any, action: str, fields: dict[str, Any], actor: Actor) -> None:
    """An entry released by hand or for withdrawn evidence closes its open case."""
    services.close_for_release(entry, action, fields, actor=actor)


def write_feed(kind: str, *, records: Sequence[signals.Record]) -> None:
    """Listings, releases and case actions go on the change feed other departments follow."""
    if kind in feed.FEED_KINDS:
        feed.write(records)


def close_for_retirement(_sender: str, *, vehicle_id: int, action: str) -> None:
    """A vehicle scrapped or deregistered by a phase-out action has its open case closed."""
    services.close_open_cases_for_vehicle(vehicle_id, f"phaseout:{action}")


def record_repair(_sender: str, *, repair: Any) -> None:
    """An M站 repair moves the case that waits for it."""
    services.repair_posted(repair)


def history(_sender: str, *, vehicle_id: int, viewer: Actor) -> dict[str, Any]:
    return services.vehicle_history(vehicle_id)
