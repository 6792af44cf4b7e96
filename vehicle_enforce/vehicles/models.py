"""Owners (people and enterprises) and registered vehicles."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vehicle_enforce.auth.models import Township
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model


class VehicleType(enum.StrEnum):
    heavy_truck = "heavy_truck"
    medium_truck = "medium_truck"
    light_truck = "light_truck"
    tractor = "tractor"
    trailer = "trailer"
    bus = "bus"
    coach = "coach"
    car = "car"
    special = "special"


class Fuel(enum.StrEnum):
    diesel = "diesel"
    gasoline = "gasoline"
    natural_gas = "natural_gas"
    lpg = "lpg"
    hybrid = "hybrid"
    electric = "electric"
    other = "other"


class VehicleUse(enum.StrEnum):
    operating = "operating"
    non_operating = "non_operating"


class VehicleStatus(enum.StrEnum):
    active = "active"
    scrapped = "scrapped"
    deregistered = "deregistered"
    transferred_out = "transferred_out"


#: Chinese labels of the registry's vocabularies (pages and notices).
VEHICLE_TYPE_ZH: dict[str, str] = {
    "heavy_truck": "重型货车",
    "medium_truck": "中型货车",
    "light_truck": "轻型货车",
    "tractor": "牵引车",
    "trailer": "挂车",
    "bus": "公交车",
    "coach": "教练车",
    "car": "小型汽车",
    "special": "专项作业车",
}

FUEL_ZH: dict[str, str] = {
    "diesel": "柴油",
    "gasoline": "汽油",
    "natural_gas": "天然气",
    "lpg": "液化石油气",
    "hybrid": "混合动力",
    "electric": "纯电动",
    "other": "其他",
}

VEHICLE_STATUS_ZH: dict[str, str] = {
    "active": "在用",
    "scrapped": "已报废",
    "deregistered": "已注销",
    "transferred_out": "已转出",
}

#: Plate colours as the plate reader and the registry name them.
PLATE_COLOR_ZH: dict[str, str] = {
    "blue": "蓝牌",
    "yellow": "黄牌",
    "green": "绿牌",
    "yellow_green": "黄绿牌",
    "white": "白牌",
    "black": "黑牌",
    "unknown": "未知",
}


def emission_standard_zh(value: int | None) -> str:
    """China emission stage as the pages write it: 3 -> 国三."""
    return "未知" if value is None else f"国{'〇一二三四五六'[value]}" if 0 <= value <= 6 else str(value)


class OwnerKind(enum.StrEnum):
    person = "person"
    enterprise = "enterprise"


class Owner(Model):
    __tablename__ = "owners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    # Unified social credit code (统一社会信用代码) of an enterprise; people have none.
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(256))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="owner")


class Vehicle(Model):
    __tablename__ = "vehicles"
    __table_args__ = (
        UniqueConstraint("plate", "plate_color"),
        Index("ix_vehicles_plate_key", "plate_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plate: Mapped[str] = mapped_column(String(16))
    plate_color: Mapped[str] = mapped_column(String(16))
    # Plate folded by OCR confusion class without the province: candidates for a misread share it.
    plate_key: Mapped[str] = mapped_column(String(16))
    vin: Mapped[str | None] = mapped_column(String(17), index=True)
    vin_warning: Mapped[str | None] = mapped_column(String(128))
    vehicle_type: Mapped[str] = mapped_column(String(32))
    fuel: Mapped[str] = mapped_column(String(32))
    emission_standard: Mapped[int | None] = mapped_column(SmallInteger)
    emission_standard_inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    registration_date: Mapped[date | None] = mapped_column(Date)
    use: Mapped[str | None] = mapped_column(String(16))
    lean_burn: Mapped[bool] = mapped_column(Boolean, default=False)
    gas_converted: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=VehicleStatus.active.value)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, onupdate=now_utc)

    owner: Mapped[Owner | None] = relationship(back_populates="vehicles")
    township: Mapped[Township | None] = relationship()
