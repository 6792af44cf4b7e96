"""Phase-out actions (scrapped, deregistered, ...) recorded per vehicle, once.

Plain functions: they flush, never commit, and raise `core.errors` refusals.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plates import normalize_plate
from vehicle_enforce import signals
from vehicle_enforce.auth import scope
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Invalid, NotFound
from vehicle_enforce.extensions import db
from vehicle_enforce.phaseout.eligibility import (
    RETIRED,
    eligibility_of,
    today_local,
)
from vehicle_enforce.phaseout.models import (
    ActionKind,
    PhaseoutAction,
)
from vehicle_enforce.phaseout.schemas import ActionIn, ActionOut
from vehicle_enforce.vehicles import services as vehicle_services
from vehicle_enforce.vehicles.models import Vehicle, VehicleStatus

# --- phase-out actions -------------------------------------------------------------------------


def find_vehicle(vehicle_id: int | None, plate: str | None, plate_color: str | None) -> Vehicle:
    """The registered vehicle named by id or by exact plate and colour (an action is never fuzzy)."""
    if vehicle_id is not None:
        vehicle = db.session.get(Vehicle, vehicle_id)
        if vehicle is None:
            raise NotFound(f"no vehicle with id {vehicle_id}", {"vehicle_id": "unknown vehicle"})
        return vehicle
    if not plate or not plate_color:
        raise Invalid("name the vehicle by vehicle_id or by plate and plate_color", {"vehicle_id": "required"})
    normalised = normalize_plate(plate)
    found: Vehicle | None = db.session.scalar(
        select(Vehicle).where(Vehicle.plate == normalised, Vehicle.plate_color == plate_color)
    )
    if found is None:
        raise NotFound(f"no registered vehicle {normalised} ({plate_color})", {"plate": "not in the registry"})
    return found


def _same_action(action: PhaseoutAction, data: ActionIn) -> bool:
    return (
        action.kind == data.kind
        and action.action_date == data.action_date
        and (action.certificate_no or None) == (data.certificate_no or None)
        and (action.destination or None) == (data.destination or None)
    )


def _refuse_second_action(action: PhaseoutAction, data: ActionIn) -> Conflict:
    what = "the same action with different details" if action.kind == data.kind else f"'{data.kind}'"
    return Conflict(
        f"vehicle {action.vehicle.plate} was already {action.kind} on {action.action_date.isoformat()} "
        f"(action {action.id}); {what} cannot be recorded too",
        {"kind": f"already {action.kind}"},
    )


def record_action(data: ActionIn, *, actor: Actor) -> tuple[PhaseoutAction, bool]:
    """Record a phase-out action; return it and whether it is new (an identical retry returns the first)."""
    fields: dict[str, str] = {}
    if data.kind not in set(ActionKind):
        fields["kind"] = "scrapped, deregistered or transferred_out"
    if data.kind == ActionKind.scrapped and not data.certificate_no:
        fields["certificate_no"] = "required when scrapped"
    if data.kind == ActionKind.transferred_out and not data.destination:
        fields["destination"] = "required when transferred out"
    if data.action_date > today_local():
        fields["action_date"] = "in the future"
    if data.subsidy_amount is not None and data.subsidy_amount < 0:
        fields["subsidy_amount"] = "cannot be negative"
    if fields:
        raise Invalid("the phase-out action is incomplete or wrong", fields)

    vehicle = find_vehicle(data.vehicle_id, data.plate, data.plate_color)
    county_townships = scope.county_townships(actor)
    if county_townships is not None and vehicle.township_id not in county_townships:
        # The registry is city-wide, phase-out is per county: a county records its own vehicles' actions.
        raise Invalid(
            f"vehicle {vehicle.plate} is not registered in the caller's county",
            {"vehicle_id": "不是本县（市、区）登记的车辆"},
        )
    existing = db.session.scalar(select(PhaseoutAction).where(PhaseoutAction.vehicle_id == vehicle.id))
    if existing is not None:
        if _same_action(existing, data):
            return existing, False
        raise _refuse_second_action(existing, data)
    if vehicle.status in RETIRED:
        raise Conflict(
            f"the registry says vehicle {vehicle.plate} is {vehicle.status} already: it is not to be phased out",
            {"vehicle_id": f"registry status {vehicle.status}"},
        )
    if eligibility_of(vehicle) is None:
        raise Invalid(
            f"vehicle {vehicle.plate} is not subject to the phase-out (not a 国三-or-older diesel truck nor a "
            "lean-burn or converted gas vehicle)",
            {"vehicle_id": "not eligible"},
        )
    if vehicle.status != VehicleStatus.active and vehicle.status != data.kind:
        raise Conflict(
            f"the registry says vehicle {vehicle.plate} is {vehicle.status}; it cannot be {data.kind}",
            {"kind": f"vehicle is {vehicle.status}"},
        )

    action = PhaseoutAction(
        vehicle_id=vehicle.id,
        township_id=vehicle.township_id,
        kind=data.kind.value,
        action_date=data.action_date,
        certificate_no=data.certificate_no or None,
        destination=data.destination or None,
        subsidy_amount=data.subsidy_amount,
        evidence_files=list(data.evidence_files),
        note=data.note,
        previous_status=vehicle.status,
        recorded_by=actor.name,
    )
    try:
        # A concurrent request may record the same vehicle first; the unique key decides, the loser re-reads.
        with db.session.begin_nested():
            db.session.add(action)
            db.session.flush()
    except IntegrityError:
        winner = db.session.scalar(select(PhaseoutAction).where(PhaseoutAction.vehicle_id == vehicle.id))
        if winner is None:
            raise
        if _same_action(winner, data):
            return winner, False
        raise _refuse_second_action(winner, data) from None
    old_status = vehicle_services.retire(vehicle, data.kind.value)
    payload = action_json(action)
    audit.record(
        "phaseout.action",
        "phaseout_action",
        action.id,
        {**payload, "vehicle_status": [old_status, data.kind.value]},
        actor=actor,
    )
    signals.send_record("phaseout_action", action.id, payload)
    if data.kind in RETIRED:
        signals.vehicle_retired.send("phaseout", vehicle_id=vehicle.id, action=data.kind.value)
    return action, True


def action_json(action: PhaseoutAction) -> dict[str, Any]:
    """An action as the API writes it (`ActionOut`); also the audit entry's and the outbox record's payload."""
    return ActionOut.of(action).model_dump(mode="json")
