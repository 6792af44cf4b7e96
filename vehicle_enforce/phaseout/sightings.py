"""Seen-again alerts: a vehicle that should be off the road was seen driving.

Plain functions: they flush, never commit, and raise `core.errors` refusals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from vehicle_enforce.auth import scope
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.phaseout.eligibility import (
    RETIRED,
)
from vehicle_enforce.phaseout.models import (
    AlertState,
    PhaseoutAction,
    SeenAgainAlert,
)
from vehicle_enforce.phaseout.schemas import HandleIn, SeenAgainOut
from vehicle_enforce.vehicles.models import Vehicle

# --- seen again after phase-out ----------------------------------------------------------------


def check_seen_again(
    sightings: Iterable[tuple[int, datetime, str, str | None]], *, actor: Actor
) -> list[SeenAgainAlert]:
    """Record an alert for each sighting of a vehicle that should be off the road; return those alerts.

    That is a phased-out vehicle seen after its action date, or a vehicle the registry holds as scrapped
    or deregistered without an action (imported so: any sighting). `sightings` are `(vehicle_id,
    seen_at (aware), source, location)` from remote-sensing stations, tests, gate records and checkpoints.
    A sighting reported again returns the alert already recorded. Two queries per batch.
    """
    items = [(vid, seen_at, source, location) for vid, seen_at, source, location in sightings if vid is not None]
    if not items:
        return []
    for _vid, seen_at, _source, _location in items:
        if seen_at.tzinfo is None:
            raise ValueError("seen_at must be an aware datetime")
    vehicle_ids = sorted({vid for vid, *_ in items})
    # One query, as many rows as vehicles that should be off the road (usually none).
    actions: dict[int, PhaseoutAction] = {}
    retired: dict[int, str] = {}
    # Either may be missing: the outer join gives no action for a vehicle only the registry holds as
    # retired, and the loop over sightings below looks both up per vehicle.
    action: PhaseoutAction | None
    status: str | None
    for vehicle_id, status, action in db.session.execute(
        select(Vehicle.id, Vehicle.status, PhaseoutAction)
        .outerjoin(PhaseoutAction, PhaseoutAction.vehicle_id == Vehicle.id)
        .where(Vehicle.id.in_(vehicle_ids), or_(Vehicle.status.in_(RETIRED), PhaseoutAction.id.is_not(None)))
    ):
        if action is not None:
            actions[vehicle_id] = action
        else:
            retired[vehicle_id] = status
    if not actions and not retired:
        return []
    known = {
        (a.vehicle_id, a.seen_at, a.source): a
        for a in db.session.scalars(
            select(SeenAgainAlert).where(SeenAgainAlert.vehicle_id.in_(sorted(actions.keys() | retired.keys())))
        )
    }
    alerts: list[SeenAgainAlert] = []
    for vehicle_id, seen_at, source, location in items:
        action = actions.get(vehicle_id)
        status = retired.get(vehicle_id)
        if action is None and status is None:
            continue
        # On the action day itself the vehicle may still be driven to the scrapyard or across the border.
        if action is not None and local_day(seen_at) <= action.action_date:
            continue
        key = (vehicle_id, seen_at, source[:32])
        alert = known.get(key)
        if alert is None:
            alert = _new_alert(vehicle_id, action, status, seen_at, source, location, actor)
            known[key] = alert
        if alert not in alerts:
            alerts.append(alert)
    return alerts


def _new_alert(
    vehicle_id: int,
    action: PhaseoutAction | None,
    registry_status: str | None,
    seen_at: datetime,
    source: str,
    location: str | None,
    actor: Actor,
) -> SeenAgainAlert:
    alert = SeenAgainAlert(
        vehicle_id=vehicle_id,
        action_id=action.id if action is not None else None,
        registry_status=registry_status,
        seen_at=seen_at,
        source=source[:32],
        location=location[:256] if location else None,
        state=AlertState.open.value,
    )
    try:
        with db.session.begin_nested():
            db.session.add(alert)
            db.session.flush()
    except IntegrityError:
        found: SeenAgainAlert | None = db.session.scalar(
            select(SeenAgainAlert).where(
                SeenAgainAlert.vehicle_id == vehicle_id,
                SeenAgainAlert.seen_at == seen_at,
                SeenAgainAlert.source == alert.source,
            )
        )
        if found is None:
            raise
        return found
    vehicle = db.session.get(Vehicle, vehicle_id)
    audit.record(
        "phaseout.seen_again",
        "phaseout_seen_again_alert",
        alert.id,
        {
            "vehicle_id": vehicle_id,
            "plate": vehicle.plate if vehicle is not None else None,
            "action": action.kind if action is not None else None,
            "action_date": action.action_date if action is not None else None,
            "registry_status": registry_status,
            "seen_at": seen_at,
            "source": source,
            "location": location,
        },
        actor=actor,
    )
    return alert


def handle_alert(alert_id: int, data: HandleIn, *, actor: Actor) -> SeenAgainAlert:
    """Close an open alert, recording who handled it; a retry by the same handler changes nothing."""
    note = data.note
    alert = scope.get_or_404(SeenAgainAlert, alert_id, actor, what="seen-again alert")
    name = actor.name
    if alert.state == AlertState.handled:
        if alert.handled_by == name and alert.handling_note == note:
            return alert
        raise Conflict(f"alert {alert_id} was already handled by {alert.handled_by}", {"state": "already handled"})
    alert.state = AlertState.handled.value
    alert.handled_by = name
    alert.handled_department = actor.department
    alert.handled_at = now_utc()
    alert.handling_note = note
    db.session.flush()
    audit.record(
        "phaseout.seen_again_handled",
        "phaseout_seen_again_alert",
        alert.id,
        {"state": [AlertState.open.value, AlertState.handled.value], "note": note},
        actor=actor,
    )
    return alert


def alert_json(alert: SeenAgainAlert) -> dict[str, Any]:
    """A seen-again alert as the API writes it (`SeenAgainOut`)."""
    return SeenAgainOut.of(alert).model_dump(mode="json")
