"""Cases, their timeline of actions, stored notices and the change feed."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model
from vehicle_enforce.inspections.models import RoadsideTest
from vehicle_enforce.vehicles.models import Vehicle

BigId = BigInteger().with_variant(Integer, "sqlite")


class CaseState(enum.StrEnum):
    detected = "detected"
    confirmed = "confirmed"
    penalized = "penalized"
    repair_ordered = "repair_ordered"
    repaired = "repaired"
    closed_released = "closed_released"
    closed_scrapped = "closed_scrapped"


#: Chinese labels of the case states (pages, notices, messages).
CASE_STATE_ZH: dict[str, str] = {
    "detected": "待确认",
    "confirmed": "待处罚",
    "penalized": "待下达维修",
    "repair_ordered": "维修中",
    "repaired": "待复检",
    "closed_released": "已结案（解除）",
    "closed_scrapped": "已结案（报废）",
}


#: Whose step an open case waits for, by its state.
WAITING_FOR = {
    "detected": "environment",
    "confirmed": "police",
    "penalized": "transport",
    "repair_ordered": "transport",
    "repaired": "environment",
}

OPEN_STATES = (
    CaseState.detected,
    CaseState.confirmed,
    CaseState.penalized,
    CaseState.repair_ordered,
    CaseState.repaired,
)


class Case(Model):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id"), unique=True)
    # The county that handles the case (`cases.services.case_county`); None: the city level handles it.
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"), index=True)
    state: Mapped[str] = mapped_column(String(24))
    opened_at: Mapped[datetime] = mapped_column(default=now_utc)
    due_at: Mapped[datetime | None]  # deadline of the step the case waits for
    closed_at: Mapped[datetime | None]
    decision_number: Mapped[str | None] = mapped_column(String(64))
    amount_yuan: Mapped[float | None] = mapped_column(Numeric(10, 2))
    legal_basis: Mapped[str | None] = mapped_column(String(256))
    penalty_basis: Mapped[str | None] = mapped_column(String(64))  # name of the basis in the rules' penalty_bases
    penalty_department: Mapped[str | None] = mapped_column(String(32))  # the department that imposed it
    penalty_warning: Mapped[bool | None] = mapped_column(Boolean)  # a warning instead of a fine
    repair_due: Mapped[date | None] = mapped_column(Date)
    repair_station: Mapped[str | None] = mapped_column(String(64))
    repair_report: Mapped[str | None] = mapped_column(String(64))
    repaired_on: Mapped[date | None] = mapped_column(Date)
    retest_report: Mapped[str | None] = mapped_column(String(64))
    # The stored records the steps name: the M站 repair and the I站 result or roadside test that decided.
    repair_id: Mapped[int | None] = mapped_column(ForeignKey("repairs.id"))
    retest_id: Mapped[int | None] = mapped_column(ForeignKey("roadside_tests.id"))

    vehicle: Mapped[Vehicle] = relationship()
    entry: Mapped[BlacklistEntry] = relationship()
    retest: Mapped[RoadsideTest | None] = relationship()
    actions: Mapped[list[CaseAction]] = relationship(order_by="CaseAction.id", back_populates="case")

    # What a case's answer shows beside its columns (`schemas.CaseOut`, read from the row).
    @property
    def plate(self) -> str | None:
        return self.vehicle.plate if self.vehicle else None

    @property
    def plate_color(self) -> str | None:
        return self.vehicle.plate_color if self.vehicle else None

    @property
    def evidence_match(self) -> str | None:
        return self.entry.evidence_match if self.entry is not None else None

    @property
    def waiting_for(self) -> str | None:
        return WAITING_FOR.get(self.state)

    @property
    def overdue(self) -> bool:
        return bool(self.due_at and self.due_at < now_utc())

    @property
    def penalty(self) -> dict[str, Any]:
        return {
            "decision_number": self.decision_number,
            "amount_yuan": float(self.amount_yuan) if self.amount_yuan is not None else None,
            "legal_basis": self.legal_basis,
            "basis": self.penalty_basis,
            "department": self.penalty_department,
            "warning": self.penalty_warning,
        }

    @property
    def repair(self) -> dict[str, Any]:
        return {
            "due_date": self.repair_due.isoformat() if self.repair_due else None,
            "repair_station": self.repair_station,
            "report_number": self.repair_report,
            "repaired_on": self.repaired_on.isoformat() if self.repaired_on else None,
            "repair_id": self.repair_id,
        }


class CaseAction(Model):
    __tablename__ = "case_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    department: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(default=now_utc)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)

    case: Mapped[Case] = relationship(back_populates="actions")

    @property
    def vehicle_id(self) -> int | None:
        """The case's vehicle, shown on each timeline item (`schemas.ActionOut`)."""
        return self.case.vehicle_id

    @property
    def actor(self) -> str:
        """Who acted, by name (the timeline's `actor`)."""
        return self.actor_name


class CaseDocument(Model):
    """A document of the penalty procedure (事先告知书, 处罚决定书), its service and the owner's answer,
    of a vehicle case or of a machinery penalty (a spot check)."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A vehicle case's document, or one of a machinery penalty (nrmm/penalties.py): exactly one is set.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    spot_check_id: Mapped[int | None] = mapped_column(ForeignKey("nrmm_spot_checks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # prior_notice | decision
    number: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(32))
    issued_by: Mapped[str] = mapped_column(String(128))
    issued_at: Mapped[datetime] = mapped_column(default=now_utc)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # facts, basis, rights and periods
    served_at: Mapped[datetime | None]
    service_method: Mapped[str | None] = mapped_column(String(16))
    served_to: Mapped[str | None] = mapped_column(String(128))
    answer_due: Mapped[date | None] = mapped_column(Date)  # last day to state and defend (working days)
    answered_at: Mapped[datetime | None]
    answer_kind: Mapped[str | None] = mapped_column(String(16))  # statement | waived
    answer: Mapped[str | None] = mapped_column(Text)


class Notice(Model):
    """A notice to a department inbox or to a vehicle owner; every notice is stored."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(16))  # department | owner
    recipient: Mapped[str] = mapped_column(String(64))  # department code or owner id
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    sent_at: Mapped[datetime | None]
    send_error: Mapped[str | None] = mapped_column(Text)


class ChangeFeedItem(Model):
    """Listings, releases and case actions in the order other departments' systems follow them."""

    __tablename__ = "change_feed"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=now_utc)
