"""Request and response shapes of the phase-out API, shared by the API, the services, the demo and the CLI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer

from vehicle_enforce.core.openapi import IsoTime, Out
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import QuerySchema, Schema
from vehicle_enforce.phaseout import eligibility
from vehicle_enforce.phaseout.models import ActionKind, AlertState, PhaseoutAction, SeenAgainAlert
from vehicle_enforce.vehicles.models import Vehicle

# --- requests ----------------------------------------------------------------------------------


class MilestoneIn(Schema):
    due: date
    percent: float = Field(ge=0, le=100, description="share of the quota, above 0")


class QuotaItemIn(Schema):
    township: str = Field(min_length=1, max_length=64, description="township code or name")
    quota: int = Field(ge=0, le=1_000_000)


class QuotasIn(Schema):
    period: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_-]+$")
    starts_on: date | None = None
    milestones: list[MilestoneIn] | None = Field(default=None, max_length=20)
    quotas: list[QuotaItemIn] = Field(default_factory=list, max_length=500)


class QuotasQuery(QuerySchema):
    period: str | None = Field(default=None, max_length=32)


class ActionIn(Schema):
    stored_as = (
        PhaseoutAction,
        Vehicle,
    )
    kind: ActionKind
    action_date: date
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    plate: str | None = Field(default=None, min_length=1, max_length=16)
    plate_color: str | None = Field(default=None, min_length=1, max_length=16)
    certificate_no: str | None = Field(default=None, max_length=64)
    destination: str | None = Field(default=None, max_length=128)
    subsidy_amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    # Names of evidence files already stored (photos of the certificate, the deregistration slip...).
    evidence_files: list[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        default_factory=list, max_length=20
    )
    note: str | None = Field(default=None, max_length=2000)


class EligibleQuery(PageQuery):
    township: str | None = Field(default=None, max_length=64)
    reason: Literal["diesel", "gas"] | None = None


class ActionsQuery(PageQuery):
    township: str | None = Field(default=None, max_length=64)


class ProgressQuery(QuerySchema):
    as_of: date | None = None
    period: str | None = Field(default=None, max_length=32)


class AlertsQuery(PageQuery):
    state: AlertState | None = None


class HandleIn(Schema):
    stored_as = (SeenAgainAlert,)
    note: str = Field(min_length=1, max_length=2000)


# --- answers -----------------------------------------------------------------------------------

#: Money as the API has always written it: the stored decimal's text ("12000.00").
Money = Annotated[Decimal, PlainSerializer(str, return_type=str)]


class EligibleVehicleOut(Out):
    id: int
    plate: str
    plate_color: str
    vehicle_type: str
    fuel: str
    emission_standard: int | None
    registration_date: date | None
    lean_burn: bool | None
    gas_converted: bool | None
    township_id: int | None
    owner_id: int | None
    status: str
    reasons: list[str] = Field(description="china3_diesel, lean_burn_gas, gas_converted")
    standard_inferred: bool

    @classmethod
    def of(cls, vehicle: Vehicle) -> EligibleVehicleOut:
        why = eligibility.eligibility_of(vehicle) or {"reasons": [], "inferred": False}
        return cls.model_validate(
            {
                **{name: getattr(vehicle, name) for name in cls.model_fields if hasattr(vehicle, name)},
                "reasons": why["reasons"],
                "standard_inferred": why["inferred"],
            }
        )


class EligiblePage(Out):
    results: list[EligibleVehicleOut]
    next_cursor: str | None


class MilestoneOut(Out):
    due: date
    percent: float
    source: str = Field(description="transport (set by the county) or plan/assumed (the rules' default)")


class QuotaOut(Out):
    township_id: int
    township_code: str
    township: str
    quota: int


class PeriodOut(Out):
    period: str
    starts_on: date
    milestones: list[MilestoneOut]
    quotas: list[QuotaOut]


class PeriodList(Out):
    results: list[PeriodOut]
    next_cursor: None


class ActionOut(Out):
    id: int
    vehicle_id: int
    plate: str
    plate_color: str
    township_id: int | None
    kind: ActionKind
    action_date: date
    certificate_no: str | None
    destination: str | None
    subsidy_amount: Money | None
    evidence_files: list[str]
    note: str | None
    recorded_by: str | None
    created_at: IsoTime

    @classmethod
    def of(cls, action: PhaseoutAction) -> ActionOut:
        vehicle = action.vehicle
        return cls.model_validate(
            {
                **{name: getattr(action, name) for name in cls.model_fields if hasattr(action, name)},
                "plate": vehicle.plate,
                "plate_color": vehicle.plate_color,
                "evidence_files": list(action.evidence_files or []),
            }
        )


class ActionPage(Out):
    results: list[ActionOut]
    next_cursor: str | None


class ProgressRowOut(Out):
    done: int
    quota: int
    percent: float | None
    eligible_remaining: int
    milestone_target: int
    weekly_rate: float
    projected_at_milestone: float
    on_track: bool | None


class TownshipProgressOut(ProgressRowOut):
    township_id: int
    township_code: str
    township: str


class CountyProgressOut(ProgressRowOut):
    county_id: int
    county_code: str
    county: str


class ProgressOut(Out):
    as_of: date
    period: str | None
    period_starts_on: date
    milestones: list[MilestoneOut]
    next_milestone: MilestoneOut
    rate_window_days: int
    townships: list[TownshipProgressOut]
    counties: list[CountyProgressOut] = Field(
        default_factory=list,
        description="one row per county: every county for the city level, its own for a county; none for a township",
    )
    county: ProgressRowOut | None = Field(
        description="the total of the townships shown (the city's or the county's); null for a township caller"
    )


class SeenAgainOut(Out):
    id: int
    vehicle_id: int
    plate: str
    plate_color: str
    action_id: int | None
    action: ActionKind | None
    action_date: date | None
    registry_status: str | None
    seen_at: IsoTime
    source: str
    location: str | None
    state: AlertState
    handled_by: str | None
    handled_department: str | None
    handled_at: IsoTime | None
    handling_note: str | None

    @classmethod
    def of(cls, alert: SeenAgainAlert) -> SeenAgainOut:
        action = alert.action
        return cls.model_validate(
            {
                **{
                    name: getattr(alert, name) for name in cls.model_fields if name != "action" and hasattr(alert, name)
                },
                "plate": alert.vehicle.plate,
                "plate_color": alert.vehicle.plate_color,
                "action": action.kind if action is not None else None,  # the relationship's kind
                "action_date": action.action_date if action is not None else None,
            }
        )


class SeenAgainPage(Out):
    results: list[SeenAgainOut]
    next_cursor: str | None
