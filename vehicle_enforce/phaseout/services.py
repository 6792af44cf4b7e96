"""Phase-out rules: who is eligible, quotas and milestones, actions, progress and "seen again" alerts.

Plain functions: they flush, never commit, and raise `core.errors` refusals. Counting runs in SQL
(grouped aggregates), never as a Python loop over vehicles or actions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from plates import normalize_plate
from vehicle_enforce.auth.models import Township
from vehicle_enforce.auth.principal import Principal, current_principal
from vehicle_enforce.auth.services import township_by_name_or_code
from vehicle_enforce.core import audit
from vehicle_enforce.core.errors import Conflict, Invalid, NotFound
from vehicle_enforce.core.events import emit
from vehicle_enforce.core.timeutil import SHANGHAI, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.phaseout.models import (
    ActionKind,
    AlertState,
    PhaseoutAction,
    PhaseoutPeriod,
    PhaseoutQuota,
    SeenAgainAlert,
)
from vehicle_enforce.phaseout.rules import Milestone, PhaseoutRules, current_rules
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


def eligible_query(rules: PhaseoutRules, *, township_id: int | None = None, reason: str | None = None) -> Select[Any]:
    """Vehicles that must still be phased out: eligible and without a recorded action."""
    clause = {"diesel": diesel_clause(rules), "gas": gas_clause(rules)}.get(reason or "", eligible_clause(rules))
    stmt = select(Vehicle).where(clause, not_phased_out())
    if township_id is not None:
        stmt = stmt.where(Vehicle.township_id == township_id)
    return stmt


# --- periods, milestones and quotas ------------------------------------------------------------


@dataclass(frozen=True)
class QuotaIn:
    township: str
    quota: int


def milestones_of(period: PhaseoutPeriod | None, rules: PhaseoutRules) -> list[Milestone]:
    if period is None or not period.milestones:
        return list(rules.default_milestones)
    return [
        Milestone(date.fromisoformat(m["due"]), float(m["percent"]), m.get("source", "transport"))
        for m in period.milestones
    ]


def _check_milestones(milestones: Sequence[Milestone], starts_on: date) -> None:
    if not milestones:
        raise Invalid("a period needs at least one milestone", {"milestones": "at least one milestone"})
    previous: Milestone | None = None
    for i, m in enumerate(milestones):
        if not 0 < m.percent <= 100:
            raise Invalid(
                "milestone percent must be above 0 and at most 100", {f"milestones.{i}.percent": "0 < p ≤ 100"}
            )
        if m.due <= starts_on:
            raise Invalid("a milestone must fall after the period starts", {f"milestones.{i}.due": "before start"})
        if previous is not None and (m.due <= previous.due or m.percent < previous.percent):
            raise Invalid(
                "milestones must be in date order with non-decreasing percentages",
                {f"milestones.{i}": "out of order"},
            )
        previous = m


def set_quotas(
    period_code: str,
    quotas: Sequence[QuotaIn],
    *,
    starts_on: date | None = None,
    milestones: Sequence[tuple[date, float]] | None = None,
) -> PhaseoutPeriod:
    """Create or update a period and the quotas named; unchanged values write nothing (safe to retry)."""
    rules = current_rules()
    period = db.session.scalar(select(PhaseoutPeriod).where(PhaseoutPeriod.code == period_code))
    new_milestones = (
        [Milestone(due, float(percent), "transport") for due, percent in sorted(milestones)]
        if milestones is not None
        else None
    )
    if period is None:
        if starts_on is None:
            if period_code != rules.default_period:
                raise Invalid("a new period needs its start date", {"starts_on": "required for a new period"})
            starts_on = rules.default_period_start
        chosen = new_milestones if new_milestones is not None else list(rules.default_milestones)
        _check_milestones(chosen, starts_on)
        period = PhaseoutPeriod(code=period_code, starts_on=starts_on, milestones=[m.as_json() for m in chosen])
        db.session.add(period)
        db.session.flush()
        audit.record(
            "phaseout.period_create",
            "phaseout_period",
            period.id,
            {"code": period_code, "starts_on": starts_on, "milestones": period.milestones},
        )
    else:
        changes: dict[str, Any] = {}
        target_start = starts_on or period.starts_on
        chosen = new_milestones if new_milestones is not None else milestones_of(period, rules)
        _check_milestones(chosen, target_start)
        if target_start != period.starts_on:
            changes["starts_on"] = [period.starts_on, target_start]
            period.starts_on = target_start
        as_json = [m.as_json() for m in chosen]
        if new_milestones is not None and as_json != period.milestones:
            changes["milestones"] = [period.milestones, as_json]
            period.milestones = as_json
        if changes:
            audit.record("phaseout.period_update", "phaseout_period", period.id, {"code": period_code, **changes})

    seen: set[int] = set()
    existing = {
        q.township_id: q for q in db.session.scalars(select(PhaseoutQuota).where(PhaseoutQuota.period_id == period.id))
    }
    for i, item in enumerate(quotas):
        try:
            township = township_by_name_or_code(item.township)
        except Invalid:
            raise Invalid(f"unknown township '{item.township}'", {f"quotas.{i}.township": "unknown township"}) from None
        if township.id in seen:
            raise Invalid("a township appears twice", {f"quotas.{i}.township": "duplicate township"})
        seen.add(township.id)
        if item.quota < 0:
            raise Invalid("a quota cannot be negative", {f"quotas.{i}.quota": "must be ≥ 0"})
        row = existing.get(township.id)
        if row is None:
            row = PhaseoutQuota(period_id=period.id, township_id=township.id, quota=item.quota)
            db.session.add(row)
            db.session.flush()
            audit.record(
                "phaseout.quota_set",
                "phaseout_quota",
                row.id,
                {"period": period_code, "township": township.name, "quota": [None, item.quota]},
            )
        elif row.quota != item.quota:
            audit.record(
                "phaseout.quota_set",
                "phaseout_quota",
                row.id,
                {"period": period_code, "township": township.name, "quota": [row.quota, item.quota]},
            )
            row.quota = item.quota
    db.session.flush()
    return period


def list_periods() -> list[PhaseoutPeriod]:
    return list(db.session.scalars(select(PhaseoutPeriod).order_by(PhaseoutPeriod.starts_on, PhaseoutPeriod.id)))


def quotas_of(period: PhaseoutPeriod) -> dict[int, int]:
    rows = db.session.execute(
        select(PhaseoutQuota.township_id, PhaseoutQuota.quota).where(PhaseoutQuota.period_id == period.id)
    )
    return {township_id: quota for township_id, quota in rows}


# --- phase-out actions -------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionIn:
    kind: str
    action_date: date
    vehicle_id: int | None = None
    plate: str | None = None
    plate_color: str | None = None
    certificate_no: str | None = None
    destination: str | None = None
    subsidy_amount: Decimal | None = None
    evidence_files: tuple[str, ...] = ()
    note: str | None = None


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


def record_action(data: ActionIn, *, actor: Principal | None = None) -> tuple[PhaseoutAction, bool]:
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

    who = actor or current_principal()
    action = PhaseoutAction(
        vehicle_id=vehicle.id,
        township_id=vehicle.township_id,
        kind=data.kind,
        action_date=data.action_date,
        certificate_no=data.certificate_no or None,
        destination=data.destination or None,
        subsidy_amount=data.subsidy_amount,
        evidence_files=list(data.evidence_files),
        note=data.note,
        previous_status=vehicle.status,
        recorded_by=who.name if who else "system",
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
    old_status = vehicle.status
    vehicle.status = data.kind
    db.session.flush()
    payload = action_json(action)
    audit.record(
        "phaseout.action",
        "phaseout_action",
        action.id,
        {**payload, "vehicle_status": [old_status, data.kind]},
        actor=actor,
    )
    emit("phaseout_action", action.id, payload)
    return action, True


def action_json(action: PhaseoutAction) -> dict[str, Any]:
    vehicle = action.vehicle
    return {
        "id": action.id,
        "vehicle_id": action.vehicle_id,
        "plate": vehicle.plate,
        "plate_color": vehicle.plate_color,
        "township_id": action.township_id,
        "kind": action.kind,
        "action_date": action.action_date.isoformat(),
        "certificate_no": action.certificate_no,
        "destination": action.destination,
        "subsidy_amount": None if action.subsidy_amount is None else str(action.subsidy_amount),
        "evidence_files": list(action.evidence_files or []),
        "note": action.note,
        "recorded_by": action.recorded_by,
        "created_at": action.created_at.isoformat(),
    }


# --- seen again after phase-out ----------------------------------------------------------------


def check_seen_again(
    sightings: Iterable[tuple[int, datetime, str, str | None]], *, actor: Principal | None = None
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
    actor: Principal | None,
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


def handle_alert(alert_id: int, note: str, *, actor: Principal | None = None) -> SeenAgainAlert:
    """Close an open alert, recording who handled it; a retry by the same handler changes nothing."""
    alert = db.session.get(SeenAgainAlert, alert_id)
    if alert is None:
        raise NotFound(f"no seen-again alert {alert_id}")
    who = actor or current_principal()
    name = who.name if who else "system"
    if alert.state == AlertState.handled:
        if alert.handled_by == name and alert.handling_note == note:
            return alert
        raise Conflict(f"alert {alert_id} was already handled by {alert.handled_by}", {"state": "already handled"})
    alert.state = AlertState.handled.value
    alert.handled_by = name
    alert.handled_department = who.department if who else None
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
    return {
        "id": alert.id,
        "vehicle_id": alert.vehicle_id,
        "plate": alert.vehicle.plate,
        "plate_color": alert.vehicle.plate_color,
        "action_id": alert.action_id,
        "action": alert.action.kind if alert.action is not None else None,
        "action_date": alert.action.action_date.isoformat() if alert.action is not None else None,
        "registry_status": alert.registry_status,
        "seen_at": alert.seen_at.isoformat(),
        "source": alert.source,
        "location": alert.location,
        "state": alert.state,
        "handled_by": alert.handled_by,
        "handled_department": alert.handled_department,
        "handled_at": alert.handled_at.isoformat() if alert.handled_at else None,
        "handling_note": alert.handling_note,
    }


# --- progress ----------------------------------------------------------------------------------


def choose_period(as_of: date, code: str | None = None) -> PhaseoutPeriod | None:
    """The named period, else the one running on `as_of`, else the latest started; None if none is set."""
    if code is not None:
        period: PhaseoutPeriod | None = db.session.scalar(select(PhaseoutPeriod).where(PhaseoutPeriod.code == code))
        if period is None:
            raise NotFound(f"no phase-out period '{code}'", {"period": "unknown period"})
        return period
    periods = list_periods()
    rules = current_rules()
    running = [p for p in periods if p.starts_on <= as_of <= milestones_of(p, rules)[-1].due]
    started = [p for p in periods if p.starts_on <= as_of]
    chosen = running or started or periods
    return chosen[-1] if chosen else None


def _row(
    done: int, recent: int, quota: int, remaining: int, milestone: Milestone, as_of: date, weeks: float
) -> dict[str, Any]:
    target = math.ceil(quota * milestone.percent / 100)
    weekly_rate = recent / weeks if weeks > 0 else 0.0
    days_left = max(0, (milestone.due - as_of).days)
    projected = done + weekly_rate * days_left / 7
    return {
        "done": done,
        "quota": quota,
        "percent": round(100 * done / quota, 1) if quota else None,
        "eligible_remaining": remaining,
        "milestone_target": target,
        "weekly_rate": round(weekly_rate, 2),
        "projected_at_milestone": round(projected, 1),
        "on_track": (projected >= target) if quota else None,
    }


def progress(as_of: date, *, period_code: str | None = None, township_id: int | None = None) -> dict[str, Any]:
    """Done / quota / percent / on-track per township and for the county, as of the end of `as_of`."""
    rules = current_rules()
    period = choose_period(as_of, period_code)
    milestones = milestones_of(period, rules)
    starts_on = period.starts_on if period is not None else rules.default_period_start
    upcoming = [m for m in milestones if m.due >= as_of]
    milestone = upcoming[0] if upcoming else milestones[-1]
    quotas = quotas_of(period) if period is not None else {}

    # The trailing rate window, shortened when the period began less than `rate_weeks` ago.
    window_days = max(0, min(rules.rate_weeks * 7, (as_of - starts_on).days + 1))
    recent_from = as_of - timedelta(days=window_days)
    counted = and_(PhaseoutAction.action_date >= starts_on, PhaseoutAction.action_date <= as_of)
    done_rows = db.session.execute(
        select(
            PhaseoutAction.township_id,
            func.count(),
            func.sum(case((PhaseoutAction.action_date > recent_from, 1), else_=0)),
        )
        .where(counted)
        .group_by(PhaseoutAction.township_id)
    ).all()
    done = {tid: (int(n), int(r or 0)) for tid, n, r in done_rows}
    remaining = dict(
        db.session.execute(
            select(Vehicle.township_id, func.count())
            .where(eligible_clause(rules), not_phased_out(as_of))
            .group_by(Vehicle.township_id)
        ).all()
    )

    townships = db.session.scalars(select(Township).order_by(Township.id)).all()
    weeks = window_days / 7
    rows = []
    for t in townships:
        if township_id is not None and t.id != township_id:
            continue
        if not t.active and t.id not in quotas and t.id not in done:
            continue
        n, recent = done.get(t.id, (0, 0))
        rows.append(
            {
                "township_id": t.id,
                "township_code": t.code,
                "township": t.name,
                **_row(n, recent, quotas.get(t.id, 0), int(remaining.get(t.id, 0)), milestone, as_of, weeks),
            }
        )
    county = None
    if township_id is None:
        county = _row(
            sum(n for n, _ in done.values()),
            sum(r for _, r in done.values()),
            sum(quotas.values()),
            int(sum(remaining.values())),
            milestone,
            as_of,
            weeks,
        )
    return {
        "as_of": as_of.isoformat(),
        "period": period.code if period is not None else None,
        "period_starts_on": starts_on.isoformat(),
        "milestones": [m.as_json() for m in milestones],
        "next_milestone": milestone.as_json(),
        "rate_window_days": window_days,
        "townships": rows,
        "county": county,
    }


def cumulative_by_township(
    as_of: date, *, period_code: str | None = None, township_id: int | None = None
) -> tuple[dict[str, Any], Any]:
    """Progress plus a frame of cumulative actions per (township, date) since the period start (for charts)."""
    import pandas as pd

    report = progress(as_of, period_code=period_code, township_id=township_id)
    starts_on = date.fromisoformat(report["period_starts_on"])
    rows = db.session.execute(
        select(PhaseoutAction.township_id, PhaseoutAction.action_date, func.count())
        .where(PhaseoutAction.action_date >= starts_on, PhaseoutAction.action_date <= as_of)
        .group_by(PhaseoutAction.township_id, PhaseoutAction.action_date)
    ).all()
    frame = pd.DataFrame(rows, columns=["township_id", "action_date", "count"])
    if not frame.empty:
        frame = frame.sort_values(["township_id", "action_date"])
        frame["cumulative"] = frame.groupby("township_id")["count"].cumsum()
    else:
        frame["cumulative"] = pd.Series(dtype="int64")
    return report, frame


def _on_verdicts(batch: Sequence[Any]) -> None:
    """Remote-sensing and roadside sightings of phased-out vehicles raise 'scrapped but still driving'."""
    check_seen_again((e.vehicle_id, e.measured_at, e.source, None) for e in batch)


def _register_listener() -> None:
    from vehicle_enforce.inspections.hooks import VERDICT_LISTENERS

    if _on_verdicts not in VERDICT_LISTENERS:
        VERDICT_LISTENERS.append(_on_verdicts)


_register_listener()
