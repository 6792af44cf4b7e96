"""Request and response shapes of the NRMM API, shared by its services, pages, importer and CLI."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from vehicle_enforce.cases.schemas import OfficerIn
from vehicle_enforce.core.openapi import IsoTime, Out
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import QuerySchema, Schema
from vehicle_enforce.nrmm.models import Machine, SamplingPlan, Site, SpotCheck

MachineType = Literal["excavator", "loader", "forklift", "crane", "roller", "bulldozer", "paver", "grader", "other"]


class MachineIn(Schema):
    stored_as = (Machine,)
    pin: str = Field(min_length=4, max_length=32)
    env_code: str | None = Field(default=None, max_length=32)
    machine_type: MachineType
    brand: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=64)
    production_date: date | None = None
    emission_stage: int | None = Field(default=None, ge=1, le=4)
    fuel: Literal["diesel", "gasoline", "natural_gas", "electric", "other"] = "diesel"
    engine_model: str | None = Field(default=None, max_length=64)
    engine_maker: str | None = Field(default=None, max_length=64)
    engine_number: str | None = Field(default=None, max_length=64)
    rated_power_kw: float = Field(gt=0, le=5000)
    owner_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    site_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    acquired_on: date | None = None
    registered_on: date | None = None


class SiteIn(Schema):
    stored_as = (Site,)
    name: str = Field(min_length=1, max_length=128)
    kind: Literal["construction", "logistics", "mine", "factory", "other"]
    township_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    county: str | None = Field(
        default=None,
        max_length=64,
        description="county code or name, for a site with no township (default: the township's, or the caller's)",
    )
    location: str | None = Field(default=None, max_length=256)
    low_emission_zone: bool = False
    zone_min_stage: int | None = Field(default=None, ge=1, le=4)
    zone_class: Literal["I", "II", "III"] | None = None


class PlanIn(Schema):
    stored_as = (SamplingPlan,)
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    share: float = Field(default=0.10, ge=0.10, le=1.0)


class SpotCheckIn(Schema):
    stored_as = (SpotCheck,)
    machine_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    pin: str | None = Field(default=None, max_length=32)
    site_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    checked_at: AwareDatetime
    k_readings: list[Annotated[float, Field(ge=0, le=20)]] = Field(min_length=3, max_length=10)
    ringelmann: int | None = Field(default=None, ge=0, le=5)
    rated_power_kw: float | None = Field(default=None, gt=0, le=5000)
    emission_stage: int | None = Field(default=None, ge=1, le=4)
    # Done as enforcement: at least two officers with certificate numbers (行政处罚法 第四十二条).
    enforcement: bool = False
    officers: list[OfficerIn] | None = Field(default=None, max_length=10)


class ExportQuery(QuerySchema):
    format: Literal["json", "xlsx"] = "json"


class MachineQuery(PageQuery):
    site_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    overdue: bool | None = None


# --- answers -----------------------------------------------------------------------------------------


class MachineOut(Out):
    """A registration in the national NRMM platform's terms (环保登记编码, PIN, 排放阶段...)."""

    id: int
    env_code: str
    pin: str
    machine_type: str
    brand: str | None
    model: str | None
    production_date: date | None
    emission_stage: int | None
    emission_stage_name: str = Field(description="国一…国四, or 电动")
    fuel: str
    engine_model: str | None
    engine_maker: str | None
    engine_number: str | None
    rated_power_kw: float
    owner_id: int | None
    site_id: int | None
    acquired_on: date | None
    registered_on: date
    status: str


class MachinePage(Out):
    results: list[MachineOut]
    next_cursor: str | None


class MachineExport(Out):
    records: list[MachineOut]


class SiteOut(Out):
    id: int
    name: str
    kind: str
    township_id: int | None
    county_id: int | None
    location: str | None
    low_emission_zone: bool
    zone_min_stage: int | None
    zone_class: str | None


class SitePage(Out):
    results: list[SiteOut]
    next_cursor: str | None


class ExceededOut(Out):
    item: str
    value: int | float
    limit: int | float


class SpotCheckOut(Out):
    id: int
    machine_id: int | None
    pin: str | None
    site_id: int | None
    checked_at: IsoTime
    inspector: str
    k_readings: list[int | float]
    ringelmann: int | None
    verdict: str
    limit_set: str | None
    exceeded: list[ExceededOut]
    violations: list[str]
    violations_zh: list[str]
    penalty_yuan: float | None
    legal_basis: str | None
    penalty_suggested: bool = Field(description="suggested only: the basis's department imposes it")
    enforcement: bool = Field(description="done as enforcement by two officers (can back a penalty)")
    officers: list[dict[str, str]] | None
    penalty: dict[str, Any] | None = Field(description="the penalty imposed through the flow, once decided")


class SpotCheckPenaltyOut(SpotCheckOut):
    documents: list[dict[str, Any]] = Field(description="事先告知书、处罚决定书, their service and the answer")


class SpotCheckPage(Out):
    results: list[SpotCheckOut]
    next_cursor: str | None


class PlanItemOut(Out):
    """A sampled machine, named so an inspector can find it: its codes, type, site, township and owner."""

    id: int
    machine_id: int
    township_id: int | None
    status: str
    env_code: str
    pin: str
    machine_type: str
    site: str | None
    township: str | None
    owner: str | None


class PlanOut(Out):
    """A plan as the caller may see it: a township sees and counts only its own township's items."""

    id: int
    month: str
    county_id: int | None = Field(description="the county whose machines were drawn; null: the whole city")
    seed: int
    share: float
    population: int
    size: int
    status_counts: dict[str, int]


class PlanDetailOut(PlanOut):
    items: list[PlanItemOut]


class PlanPage(Out):
    results: list[PlanOut]
    next_cursor: str | None


class ProgressQuery(QuerySchema):
    month: str | None = Field(
        default=None, max_length=7, pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM; default: this month"
    )


class CountyProgressOut(Out):
    county_id: int | None = Field(description="null: sites placed in no county (city level only)")
    county_code: str | None
    county: str | None
    sites: int
    machines: int = Field(description="active machines at the county's sites")
    planned: int = Field(description="machines the month's sampling plans drew")
    checked: int
    not_found: int
    pending: int
    checked_share: float | None
    spot_checks: int = Field(description="spot checks made at the county's sites in the month")
    violations: int = Field(description="spot checks that found a violation")


class ProgressOut(Out):
    month: str
    counties: list[CountyProgressOut]


class NotFoundOut(Out):
    id: int
    status: str


def dump(model: type[Out], row: Any) -> dict[str, Any]:
    """`row` (an ORM object) as the API writes it through `model`."""
    return model.model_validate(row).model_dump(mode="json")
