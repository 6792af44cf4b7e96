"""Phase-out periods with milestones, township quotas, phase-out actions and "seen again" alerts."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vehicle_enforce.auth.models import Township
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model
from vehicle_enforce.vehicles.models import Vehicle


class ActionKind(enum.StrEnum):
    scrapped = "scrapped"  # 报废
    deregistered = "deregistered"  # 注销
    transferred_out = "transferred_out"  # 转出


ACTION_NAMES_ZH = {
    ActionKind.scrapped: "报废",
    ActionKind.deregistered: "注销",
    ActionKind.transferred_out: "转出",
}


#: Why a vehicle must be phased out (`eligibility.eligibility_of`).
PHASEOUT_REASON_ZH = {
    "china3_diesel": "国三及以下柴油货车",
    "lean_burn_gas": "稀薄燃烧燃气车",
    "gas_converted": "油改气车辆",
}

#: 国N as the registry's number N (0: before 国一).
EMISSION_STANDARD_ZH = {"0": "国一前", "1": "国一", "2": "国二", "3": "国三", "4": "国四", "5": "国五", "6": "国六"}


class AlertState(enum.StrEnum):
    open = "open"
    handled = "handled"


class PhaseoutPeriod(Model):
    """A task period (e.g. "2019-2020") counted from `starts_on`, with its milestones."""

    __tablename__ = "phaseout_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    # [{"due": "2019-12-31", "percent": 40.0, "source": "plan"}, ...] sorted by due date.
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    quotas: Mapped[list[PhaseoutQuota]] = relationship(back_populates="period")


class PhaseoutQuota(Model):
    """How many vehicles a township must phase out in a period."""

    __tablename__ = "phaseout_quotas"
    __table_args__ = (UniqueConstraint("period_id", "township_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("phaseout_periods.id"))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    quota: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    period: Mapped[PhaseoutPeriod] = relationship(back_populates="quotas")
    township: Mapped[Township] = relationship()


class PhaseoutAction(Model):
    """The one recorded way a vehicle leaves the phase-out list: scrapped, deregistered or transferred out."""

    __tablename__ = "phaseout_actions"
    __table_args__ = (
        # A vehicle leaves once: a second action is a duplicate or a contradiction.
        UniqueConstraint("vehicle_id"),
        Index("ix_phaseout_actions_township_date", "township_id", "action_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    # The vehicle's township when the action was recorded: progress stays put if the registry changes later.
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    kind: Mapped[str] = mapped_column(String(16))
    action_date: Mapped[date] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(String(64))  # 报废证明编号
    destination: Mapped[str | None] = mapped_column(String(128))  # 转出地
    subsidy_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    evidence_files: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    previous_status: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    vehicle: Mapped[Vehicle] = relationship()
    township: Mapped[Township | None] = relationship()


class SeenAgainAlert(Model):
    """A phased-out vehicle seen on the road again: a case for the environment and police departments."""

    __tablename__ = "phaseout_seen_again_alerts"
    __table_args__ = (
        # The same sighting reported twice (a retried upload) is one alert.
        UniqueConstraint("vehicle_id", "seen_at", "source"),
        Index("ix_phaseout_seen_again_alerts_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    # None when the registry holds the vehicle as scrapped/deregistered without a phase-out action
    # (imported so); `registry_status` then says which.
    action_id: Mapped[int | None] = mapped_column(ForeignKey("phaseout_actions.id"))
    registry_status: Mapped[str | None] = mapped_column(String(16))
    seen_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(32))  # remote_sensing | roadside | checkpoint | gate | ...
    location: Mapped[str | None] = mapped_column(String(256))
    state: Mapped[str] = mapped_column(String(16), default=AlertState.open.value)
    handled_by: Mapped[str | None] = mapped_column(String(128))
    handled_department: Mapped[str | None] = mapped_column(String(32))
    handled_at: Mapped[datetime | None]
    handling_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    vehicle: Mapped[Vehicle] = relationship()
    action: Mapped[PhaseoutAction | None] = relationship()
