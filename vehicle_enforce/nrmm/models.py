"""Machines, sites (with low-emission zones), the sites history, monthly sampling plans and spot checks."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model

if TYPE_CHECKING:
    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.vehicles.models import Owner

#: Chinese labels of the spot-check violations and plan item states.
NRMM_VIOLATION_ZH: dict[str, str] = {
    "exceeding": "排放超标",
    "black_smoke": "冒黑烟",
    "unregistered": "未登记编码",
    "below_zone_stage": "低于禁用区排放阶段要求",
    "alert_stage_stop": "重污染天气预警期间违规使用停用阶段机械",
}

#: The national platform's names of the emission stages (no stage: an electric machine).
STAGE_NAMES = {1: "国一", 2: "国二", 3: "国三", 4: "国四"}

MACHINE_TYPE_ZH: dict[str, str] = {
    "excavator": "挖掘机",
    "loader": "装载机",
    "forklift": "叉车",
    "crane": "起重机",
    "roller": "压路机",
    "bulldozer": "推土机",
    "paver": "摊铺机",
    "grader": "平地机",
    "other": "其他",
}

PLAN_ITEM_STATUS_ZH: dict[str, str] = {
    "pending": "待检",
    "checked": "已检",
    "not_found": "未找到",
}


class Site(Model):
    __tablename__ = "nrmm_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # construction | logistics | mine | factory | other
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    # The county the site is in (its township's, else the county of who added it; None: city level).
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(256))
    low_emission_zone: Mapped[bool] = mapped_column(Boolean, default=False)
    zone_min_stage: Mapped[int | None] = mapped_column(Integer)  # e.g. 3: 国二 and older may not work here
    zone_class: Mapped[str | None] = mapped_column(String(4))  # GB 36886 class required in the zone, e.g. III


class Machine(Model):
    __tablename__ = "nrmm_machines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    env_code: Mapped[str] = mapped_column(String(32), unique=True)  # environmental registration code
    pin: Mapped[str] = mapped_column(String(32), unique=True)
    machine_type: Mapped[str] = mapped_column(String(32))
    brand: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64))
    production_date: Mapped[date | None] = mapped_column(Date)
    emission_stage: Mapped[int | None] = mapped_column(Integer)  # 1–4 (国一…国四); None with fuel electric
    fuel: Mapped[str] = mapped_column(String(16))
    engine_model: Mapped[str | None] = mapped_column(String(64))
    engine_maker: Mapped[str | None] = mapped_column(String(64))
    engine_number: Mapped[str | None] = mapped_column(String(64))
    rated_power_kw: Mapped[float] = mapped_column(Float)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owners.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("nrmm_sites.id"), index=True)
    acquired_on: Mapped[date | None] = mapped_column(Date)  # purchase or transfer-in
    registered_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    site: Mapped[Site | None] = relationship()
    owner: Mapped[Owner | None] = relationship()

    @property
    def emission_stage_name(self) -> str:
        return STAGE_NAMES.get(self.emission_stage or 0, "电动")


class SiteMove(Model):
    __tablename__ = "nrmm_site_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("nrmm_machines.id"), index=True)
    from_site_id: Mapped[int | None] = mapped_column(ForeignKey("nrmm_sites.id"))
    to_site_id: Mapped[int | None] = mapped_column(ForeignKey("nrmm_sites.id"))
    moved_at: Mapped[datetime] = mapped_column(default=now_utc)


class SamplingPlan(Model):
    __tablename__ = "nrmm_sampling_plans"
    # One plan a month per county (a county's officers draw over their county's machines); a city-level
    # plan (county None) draws over the whole city.
    __table_args__ = (UniqueConstraint("county_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))
    seed: Mapped[int] = mapped_column(Integer)
    share: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    items: Mapped[list[PlanItem]] = relationship(order_by="PlanItem.id", back_populates="plan")


class PlanItem(Model):
    __tablename__ = "nrmm_plan_items"
    __table_args__ = (UniqueConstraint("plan_id", "machine_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("nrmm_sampling_plans.id"), index=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("nrmm_machines.id"))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    inspector: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | checked | not_found

    plan: Mapped[SamplingPlan] = relationship(back_populates="items")
    machine: Mapped[Machine] = relationship()
    township: Mapped[Township | None] = relationship()


class SpotCheck(Model):
    __tablename__ = "nrmm_spot_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("nrmm_machines.id"), index=True)
    pin: Mapped[str | None] = mapped_column(String(32))  # what was found on site (an unregistered machine has no id)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("nrmm_sites.id"))
    checked_at: Mapped[datetime]
    inspector: Mapped[str] = mapped_column(String(128))
    k_readings: Mapped[list[float]] = mapped_column(JSON)
    ringelmann: Mapped[int | None] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(16))
    limit_set: Mapped[str | None] = mapped_column(String(96))
    exceeded: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    violations: Mapped[list[str]] = mapped_column(JSON)  # exceeding | black_smoke | unregistered | below_zone_stage
    penalty_yuan: Mapped[float | None] = mapped_column(Float)  # suggested by the violations' basis
    legal_basis: Mapped[str | None] = mapped_column(String(256))
    # Done as enforcement (监督检查, 行政处罚法 第四十二条、第五十五条): two officers with certificate numbers
    # are recorded, and only such a check can back a penalty. A survey check (e.g. a township's sampling
    # round) records the finding; a penalty then needs officers to check again.
    enforcement: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    officers: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    # The penalty imposed through the flow (nrmm/penalties.py), once decided.
    penalty_basis: Mapped[str | None] = mapped_column(String(64))
    penalty_department: Mapped[str | None] = mapped_column(String(32))
    decision_number: Mapped[str | None] = mapped_column(String(64))
    imposed_yuan: Mapped[float | None] = mapped_column(Float)
    penalty_warning: Mapped[bool | None] = mapped_column(Boolean)
    penalized_at: Mapped[datetime | None]

    @property
    def violations_zh(self) -> list[str]:
        return [NRMM_VIOLATION_ZH.get(v, v) for v in self.violations]

    @property
    def penalty(self) -> dict[str, Any] | None:
        if self.decision_number is None:
            return None
        return {
            "decision_number": self.decision_number,
            "basis": self.penalty_basis,
            "legal_basis": self.legal_basis,
            "department": self.penalty_department,
            "amount_yuan": self.imposed_yuan,
            "warning": self.penalty_warning,
            "decided_at": self.penalized_at.isoformat() if self.penalized_at else None,
        }

    @property
    def penalty_suggested(self) -> bool:
        """Suggested only: the department the basis names imposes the penalty."""
        return self.legal_basis is not None
