"""Blacklist entries and the record of every hotlist lookup."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model
from vehicle_enforce.vehicles.models import Vehicle

BigId = BigInteger().with_variant(Integer, "sqlite")


class BlacklistEntry(Model):
    """One listing of a vehicle; released entries stay as history (nothing is deleted)."""

    __tablename__ = "blacklist_entries"
    __table_args__ = (
        # At most one active entry per vehicle: the last guard against two stations listing at once.
        Index(
            "uq_blacklist_entries_active_vehicle",
            "vehicle_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        Index("ix_blacklist_entries_status_id", "status", "id"),
        # The blacklist page's default order (在册, newest listing first): keyset on (listed_at, id).
        Index("ix_blacklist_entries_status_listed", "status", "listed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # active | released
    kind: Mapped[str] = mapped_column(String(16))  # rule | manual
    rule: Mapped[str | None] = mapped_column(String(32))  # remote_sensing_repeat | roadside_fail | ...
    listed_at: Mapped[datetime] = mapped_column(default=now_utc)
    listed_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)  # plain Chinese words: what, where, when, which limit, by how much
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # How sure the evidence's plates are: exact | probable (a near match a person has not confirmed yet:
    # the case cannot be confirmed) | confirmed (a person confirmed the near match).
    evidence_match: Mapped[str] = mapped_column(String(16), default="exact", server_default="exact")
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(128))
    release_kind: Mapped[str | None] = mapped_column(String(16))  # retest | manual | scrapped | withdrawn (evidence)
    release_reason: Mapped[str | None] = mapped_column(Text)

    vehicle: Mapped[Vehicle] = relationship()

    @property
    def plate(self) -> str | None:
        """The listed vehicle's plate, shown beside the entry (`schemas.EntryOut`)."""
        return self.vehicle.plate if self.vehicle is not None else None

    @property
    def plate_color(self) -> str | None:
        return self.vehicle.plate_color if self.vehicle is not None else None


class HotlistLookup(Model):
    """Who looked up which plates, when and why (accountability for police lookups)."""

    __tablename__ = "hotlist_lookups"
    # On PostgreSQL partitioned by month on `at` (core/partitions.py); primary key (id, at) there.

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(128))
    department: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(256))
    mode: Mapped[str] = mapped_column(String(16))  # single | batch
    read_count: Mapped[int] = mapped_column(Integer)
    hit_count: Mapped[int] = mapped_column(Integer)


class HotlistRead(Model):
    """One plate of a lookup; reads that were not hits are purged after the retention period."""

    __tablename__ = "hotlist_reads"
    # On PostgreSQL partitioned by month on lookup_at, its lookup's time: a month of reads is dropped
    # with the same month of lookups. No foreign key to the partitioned lookups (it would have to be
    # (lookup_id, lookup_at)); a read is written with its lookup in one statement.

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lookup_id: Mapped[int] = mapped_column(BigId, index=True)
    lookup_at: Mapped[datetime]
    plate: Mapped[str] = mapped_column(String(16))
    plate_color: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(index=True)
    location: Mapped[str | None] = mapped_column(String(256))
    hit: Mapped[str | None] = mapped_column(String(16))  # exact | probable | colour_differs | ambiguous | None
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("blacklist_entries.id"))
