"""Match reviews (one per doubtful record) and the follow-up tasks a withdrawn piece of evidence opens."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model


class RecordKind(enum.StrEnum):
    """The records a review can be about (their table's object type in the audit log and evidence)."""

    remote_sensing_pass = "remote_sensing_pass"  # noqa: S105  (a record kind, not a password)
    roadside_test = "roadside_test"  # roadside, depot spot and I站 tests
    black_smoke_capture = "black_smoke_capture"
    repair = "repair"  # M站 results
    gate_record = "gate_record"  # a key enterprise's gate record made during an alert


class ReviewState(enum.StrEnum):
    open = "open"
    done = "done"


class ReviewAction(enum.StrEnum):
    confirm = "confirm"  # a person picked the vehicle
    correct = "correct"  # a person typed the plate the photo shows
    unlink = "unlink"  # a person said the record names no vehicle it can be held against
    reread = "reread"  # the plate reader later read the photo and matched exactly (system)


class MatchReview(Model):
    """A doubtful plate match (pending, ambiguous or probable) waiting for, or decided by, a person."""

    __tablename__ = "match_reviews"
    __table_args__ = (
        UniqueConstraint("record_kind", "record_id"),
        Index("ix_match_reviews_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(BigInteger)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"), index=True)
    occurred_at: Mapped[datetime]  # when the record was measured / tested / captured / repaired
    verdict: Mapped[str | None] = mapped_column(String(16))
    plate: Mapped[str] = mapped_column(String(16))  # as read (empty when unread)
    plate_color: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    match_decision: Mapped[str] = mapped_column(String(16))  # pending | ambiguous | probable
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))  # linked by the match (probable)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(8), default=ReviewState.open.value)
    action: Mapped[str | None] = mapped_column(String(16))
    decided_vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    decided_plate: Mapped[str | None] = mapped_column(String(16))
    decided_plate_color: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_department: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class EvidenceTask(Model):
    """Evidence a case rests on was withdrawn after the case moved on: people must decide what follows.

    Opened for environment and police (a penalty may need revoking); never closes a case or releases a
    listing by itself. `record_kind`/`record_id` name the withdrawn record.
    """

    __tablename__ = "evidence_tasks"
    __table_args__ = (Index("ix_evidence_tasks_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # evidence_withdrawn
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("blacklist_entries.id"))
    record_kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(BigInteger)
    departments: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(8), default="open")
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(128))
