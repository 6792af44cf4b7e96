"""Listeners on new verdicts, so rules built on top (the blacklist) run in the storing transaction.

Inspections does not import the blacklist; the blacklist appends its listener to VERDICT_LISTENERS at
import time. `notify_verdicts` is called after flush with every stored pass, test, confirmed black-smoke
capture or inspection result that is linked to a vehicle; a batch arrives as one list so a listener
can work set-wise (one query for all the vehicles). A listener that raises rolls the whole store back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

SourceKind = Literal["remote_sensing", "roadside", "spot_check", "black_smoke", "inspection"]


@dataclass(frozen=True, slots=True)
class VerdictEvent:
    source: SourceKind
    record_id: int  # primary key of the pass, test or capture
    vehicle_id: int
    measured_at: datetime
    verdict: str  # pass | exceed | fail | invalid
    valid: bool  # False for an invalid verdict: kept, never counted


VERDICT_LISTENERS: list[Callable[[Sequence[VerdictEvent]], None]] = []


def notify_verdicts(events: Sequence[VerdictEvent]) -> None:
    """Hand newly stored verdicts to every listener (call after flush, inside the transaction)."""
    if not events:
        return
    batch = list(events)
    for listener in list(VERDICT_LISTENERS):
        listener(batch)


# Called with each newly stored M站 repair (after flush, inside the transaction); the cases domain
# appends a listener so an M站 posting moves the vehicle's case waiting for its repair.
REPAIR_LISTENERS: list[Callable[[Any], None]] = []


def notify_repair(repair: Any) -> None:
    for listener in list(REPAIR_LISTENERS):
        listener(repair)
