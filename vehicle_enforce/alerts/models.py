"""Alerts, enterprise grades and the gate records of key enterprises."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model

#: Chinese labels of the alert levels and actions.
ALERT_LEVEL_ZH: dict[str, str] = {
    "blue": "蓝色预警",
    "yellow": "黄色预警",
    "orange": "橙色预警",
    "red": "红色预警",
}

ALERT_ACTION_ZH: dict[str, str] = {
    "issue": "发布",
    "extend": "延长",
    "upgrade": "升级",
    "lift": "解除",
}


class Alert(Model):
    __tablename__ = "pollution_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(8))  # blue | yellow | orange | red
    townships: Mapped[list[int] | None] = mapped_column(JSON)  # None: the whole county
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    issued_by: Mapped[str] = mapped_column(String(128))
    # The notice (通告) that publishes the alert and its measures: the legal basis of a road restriction.
    notice_no: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class EnterpriseGrade(Model):
    __tablename__ = "enterprise_grades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"), unique=True)
    grade: Mapped[str] = mapped_column(String(1))  # A | B | C (performance grading of key enterprises)
    daily_truck_trips: Mapped[int] = mapped_column(Integer)


class GateRecord(Model):
    __tablename__ = "gate_records"
    __table_args__ = (UniqueConstraint("owner_id", "plate", "direction", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id"), index=True)
    plate: Mapped[str] = mapped_column(String(16))
    plate_color: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    at: Mapped[datetime] = mapped_column(index=True)
    emission_standard: Mapped[int | None] = mapped_column(SmallInteger)
    fuel: Mapped[str | None] = mapped_column(String(16))
    vehicle_type: Mapped[str | None] = mapped_column(String(32))
    # The registered vehicle the plate names (colour-strict; exact, probable or confirmed by a person).
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    match_decision: Mapped[str | None] = mapped_column(String(16))  # None: stored before matching existed
