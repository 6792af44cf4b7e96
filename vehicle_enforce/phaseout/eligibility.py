"""Phase-out eligibility: which vehicles are to be phased out, as SQL clauses and per vehicle.

Plain functions: they flush, never commit, and raise `core.errors` refusals.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select

from vehicle_enforce.core.timeutil import SHANGHAI, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.phaseout.models import (
    PhaseoutAction,
)
from vehicle_enforce.phaseout.rules import PhaseoutRules, current_rules
from vehicle_enforce.vehicles.models import Fuel, Vehicle, VehicleStatus

#: Registry statuses that say a vehicle is off the road for good: seen again, it raises an alert even
#: without a phase-out action (a registry imported so), and it is not to be phased out.
RETIRED = (VehicleStatus.scrapped.value, VehicleStatus.deregistered.value)


def today_local() -> date:
    return now_utc().astimezone(SHANGHAI).date()


# --- eligibility -------------------------------------------------------------------------------


def diesel_clause(rules: PhaseoutRules) -> ColumnElement[bool]:
    """Diesel trucks of 国三 or older, known or (standard unknown) inferred from the registration date."""
    return and_(
        Vehicle.fuel == Fuel.diesel.value,
        Vehicle.vehicle_type.in_(rules.truck_types),
        or_(
            Vehicle.emission_standard <= rules.max_standard,
            and_(Vehicle.emission_standard.is_(None), Vehicle.registration_date < rules.china4_from),
        ),
    )


def gas_clause(rules: PhaseoutRules) -> ColumnElement[bool]:
    """Gas vehicles flagged lean-burn or converted from oil to gas."""
    return and_(Vehicle.fuel.in_(rules.gas_fuels), or_(Vehicle.lean_burn.is_(True), Vehicle.gas_converted.is_(True)))


def eligible_clause(rules: PhaseoutRules) -> ColumnElement[bool]:
    return or_(diesel_clause(rules), gas_clause(rules))


def not_phased_out(as_of: date | None = None) -> ColumnElement[bool]:
    """Still to be phased out: no action recorded (up to `as_of`, when given) and not retired on paper.

    A vehicle the registry holds as scrapped or deregistered without any action (imported so) is off
    the road already: it is not to be phased out (and, seen again, it raises an alert).
    """
    condition = PhaseoutAction.vehicle_id == Vehicle.id
    if as_of is not None:
        condition = and_(condition, PhaseoutAction.action_date <= as_of)
    retired_on_paper = and_(Vehicle.status.in_(RETIRED), ~exists().where(PhaseoutAction.vehicle_id == Vehicle.id))
    return and_(~exists().where(condition), ~retired_on_paper)


def eligibility_of(vehicle: Vehicle, rules: PhaseoutRules | None = None) -> dict[str, Any] | None:
    """Why `vehicle` must be phased out (`reasons`, `inferred`), or None when it need not be."""
    rules = rules or current_rules()
    if vehicle.status in RETIRED and not db.session.scalar(
        select(exists().where(PhaseoutAction.vehicle_id == vehicle.id))
    ):
        return None  # the registry holds it as scrapped or deregistered (imported so): not to be phased out
    reasons: list[str] = []
    inferred = bool(vehicle.emission_standard_inferred)
    standard = vehicle.emission_standard
    if vehicle.fuel == Fuel.diesel and vehicle.vehicle_type in rules.truck_types:
        if standard is not None and standard <= rules.max_standard:
            reasons.append("china3_diesel")
        elif standard is None and vehicle.registration_date and vehicle.registration_date < rules.china4_from:
            reasons.append("china3_diesel")
            inferred = True
    if vehicle.fuel in rules.gas_fuels:
        if vehicle.lean_burn:
            reasons.append("lean_burn_gas")
        if vehicle.gas_converted:
            reasons.append("gas_converted")
    if not reasons:
        return None
    return {"reasons": reasons, "inferred": inferred and "china3_diesel" in reasons}


def eligible_query(
    rules: PhaseoutRules, *, township_ids: Collection[int] | None = None, reason: str | None = None
) -> Select[Any]:
    """Vehicles that must still be phased out: eligible and without a recorded action (of the townships
    `township_ids` when given: a county's or a township's share of the city's)."""
    clause = {"diesel": diesel_clause(rules), "gas": gas_clause(rules)}.get(reason or "", eligible_clause(rules))
    stmt = select(Vehicle).where(clause, not_phased_out())
    if township_ids is not None:
        stmt = stmt.where(Vehicle.township_id.in_(list(township_ids)))
    return stmt
