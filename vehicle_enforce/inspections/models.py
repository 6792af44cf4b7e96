"""Stations and their devices."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vehicle_enforce.auth.models import Township
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db


class StationKind(enum.StrEnum):
    remote_sensing = "remote_sensing"
    roadside = "roadside"
    spot_check = "spot_check"
    inspection = "inspection"  # periodic inspection station (I站)
    repair = "repair"  # accredited repair station (M站)


class Station(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    location: Mapped[str | None] = mapped_column(String(256))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    calibration_valid_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    township: Mapped[Township | None] = relationship()
    devices: Mapped[list[Device]] = relationship(back_populates="station")


class Device(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("station_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    code: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    calibration_valid_until: Mapped[date | None] = mapped_column(Date)

    station: Mapped[Station] = relationship(back_populates="devices")
