"""Every cross-domain signal, declared here and nowhere else (blinker, which Flask ships).

A domain sends a signal after it has stored and flushed what the signal names; receivers run at once,
in the same session and transaction, so what they write (an export row, a change-feed row, a listing,
a case) commits or rolls back with the record itself, and a receiver that raises rolls the whole store
back. A batch is one send: a batch of 10,000 passes reaches each receiver once, as one list, so it can
work set-wise.

Nothing connects by being imported: each domain's ``init_app(app)`` connects its receivers, and
``create_app`` calls those in a fixed order (``docs/architecture.md`` lists who listens to what).
Receivers run in the order they were connected; connecting the same function again changes nothing,
so building the app twice never doubles a receiver.

The sender is a short text naming who sends (``"inspections"``, or the record kind for
``records_stored``); receivers are connected for any sender.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import blinker

from vehicle_enforce.core.timeutil import now_utc


class Signal(blinker.NamedSignal):
    """A named signal whose receivers run in the order they were connected.

    blinker itself calls them in the order of a set (by object id), which changes from run to run; here
    the order `create_app` wires the domains in is the order they react in.
    """

    def receivers_for(self, sender: Any) -> Generator[Callable[..., Any], None, None]:
        wanted = list(super().receivers_for(sender))
        for held in list(self.receivers.values()):  # a dict: connection order
            receiver = held() if isinstance(held, weakref.ref) else held
            if receiver is not None and any(receiver == w for w in wanted):
                yield receiver


def connect(signal: Signal, receiver: Callable[..., Any]) -> None:
    """Connect `receiver` for any sender, strongly held (module functions live as long as the process)."""
    signal.connect(receiver, weak=False)


# -- Records worth telling others about: the export outbox and the change feed ------------------------

#: Record kinds that leave the county (export) or that other departments follow (change feed).
RECORD_KINDS = frozenset(
    {
        "remote_sensing_pass",
        "remote_sensing_pass_withdrawal",  # a correction: the pass was withdrawn as evidence
        "roadside_test_withdrawal",  # a correction: the roadside/spot/I站 test was withdrawn as evidence
        "black_smoke_capture_withdrawal",  # a correction: the capture was withdrawn as evidence
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
class Record:
    kind: str
    object_id: int | str
    payload: dict[str, Any]
    station: str | None = None
    occurred_at: datetime = field(default_factory=now_utc)


records_stored = Signal(
    "records-stored",
    doc="Records of one kind were stored. sender: the kind; records: list[Record], all of that kind.",
)

bulk_writes_due = Signal(
    "bulk-writes-due",
    doc="Receivers that keep rows for one bulk insert at commit write what they hold now, inside the "
    "transaction. Sent before taking locks other requests wait for, so that work is not done while "
    "holding them. sender: the domain about to lock.",
)


def send_records(kind: str, records: Iterable[tuple[int | str, dict[str, Any], str | None]]) -> list[Record]:
    """Send stored records of one kind, as (object id, payload, station), at once; call after flush."""
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}; add it to signals.RECORD_KINDS")
    occurred_at = now_utc()
    batch = [Record(kind, object_id, payload, station, occurred_at) for object_id, payload, station in records]
    if batch:
        records_stored.send(kind, records=batch)
    return batch


def send_record(kind: str, object_id: int | str, payload: dict[str, Any], *, station: str | None = None) -> Record:
    """Send one stored record (see `send_records`)."""
    return send_records(kind, [(object_id, payload, station)])[0]


# -- Measurements and what follows them --------------------------------------------------------------

SourceKind = Literal["remote_sensing", "roadside", "spot_check", "black_smoke", "inspection"]


@dataclass(frozen=True, slots=True)
class VerdictEvent:
    source: SourceKind
    record_id: int  # primary key of the pass, test or capture
    vehicle_id: int
    measured_at: datetime
    verdict: str  # pass | exceed | fail | invalid
    valid: bool  # False for an invalid verdict: kept, never counted


verdicts_stored = Signal(
    "verdicts-stored",
    doc="New verdicts linked to a vehicle were stored (passes, roadside and spot tests, confirmed "
    "black-smoke captures, I站 results, a match review that links a record). sender: the domain; "
    "verdicts: list[VerdictEvent].",
)


def send_verdicts(sender: str, verdicts: Sequence[VerdictEvent]) -> None:
    """Send newly stored verdicts (call after flush, inside the transaction); nothing for none."""
    if verdicts:
        verdicts_stored.send(sender, verdicts=list(verdicts))


repair_stored = Signal(
    "repair-stored",
    doc="An M站 repair was posted. sender: the domain; repair: the stored inspections Repair.",
)

vehicle_listed = Signal(
    "vehicle-listed",
    doc="Vehicles were put on the blacklist. sender: the domain; entries: list[BlacklistEntry] (flushed); "
    "actor: the Actor who listed them (the system for the listing rule).",
)

listing_retested = Signal(
    "listing-retested",
    doc="Valid I站 results or roadside tests of listed vehicles were stored. sender: the domain; retests: "
    "list of (active BlacklistEntry, VerdictEvent), in the order stored.",
)

listing_evidence_withdrawn = Signal(
    "listing-evidence-withdrawn",
    doc="An active entry no longer holds: device records it rested on were withdrawn as evidence (vehicle "
    "locked). sender: the domain; entry: the BlacklistEntry; records: the withdrawn (evidence source, record "
    "id) pairs it cited; why: the reason; actor: the Actor who withdrew them. Cases answers what it did: "
    "('released', entry id) after releasing the entry with its case, or ('tasks', case id) after opening a "
    "review task.",
)

case_step_record_withdrawn = Signal(
    "case-step-record-withdrawn",
    doc="Device records a case step may name were withdrawn as evidence. sender: the domain; record_kind: "
    "'roadside_test' (a retest) or 'repair' (an M站 repair); record_ids: their ids; why: the reason; actor: "
    "the Actor who withdrew them. Cases answers the ids of the cases whose step named one (a task each).",
)

listing_released = Signal(
    "listing-released",
    doc="The blacklist released an entry itself (by hand), not as a case step. sender: the domain; entry: "
    "the released BlacklistEntry; action: the case action to record ('manual_release'); fields: that "
    "action's fields; actor: the Actor who released it.",
)

vehicle_seen = Signal(
    "vehicle-seen",
    doc="Vehicles the registry no longer holds as active were seen on the road (a checkpoint read, a "
    "gate record; senders leave active vehicles out, so hot paths pay nothing for them). sender: who saw "
    "them; sightings: list of (vehicle_id, seen_at (aware), source, location).",
)

vehicle_retired = Signal(
    "vehicle-retired",
    doc="A phase-out action scrapped or deregistered a vehicle. sender: the domain; vehicle_id: int; "
    "action: 'scrapped' or 'deregistered'.",
)


# -- Questions other domains answer (each receiver returns its part) ---------------------------------

vehicle_history_wanted = Signal(
    "vehicle-history-wanted",
    doc="A vehicle's history page is built. sender: the domain; vehicle_id: int; viewer: the Actor it is "
    "shown to (a station sees less of other stations' evidence). Each receiver returns its sections, "
    "{name: value}.",
)

inbox_wanted = Signal(
    "inbox-wanted",
    doc="A department's inbox is built. sender: the domain; department: str. Each receiver returns its "
    "sections, {name: value} (empty when the department does not see them).",
)

hotlist_answering = Signal(
    "hotlist-answering",
    doc="The hotlist answers a batch of reads. sender: the domain; reads: the BatchCheck's ReadIn list; "
    "vehicle_ids: the matched vehicle per read (None when none). Each receiver returns a restriction (dict or "
    "None) per read.",
)


def answers(signal: Signal, sender: str, **kwargs: Any) -> list[Any]:
    """Send `signal` and return its receivers' answers, in connection order."""
    return [value for _receiver, value in signal.send(sender, **kwargs)]


ALL: tuple[Signal, ...] = (
    records_stored,
    bulk_writes_due,
    verdicts_stored,
    repair_stored,
    vehicle_listed,
    listing_retested,
    listing_evidence_withdrawn,
    case_step_record_withdrawn,
    listing_released,
    vehicle_seen,
    vehicle_retired,
    vehicle_history_wanted,
    inbox_wanted,
    hotlist_answering,
)
