"""Registry rules: register (upsert) vehicles and owners, look them up, match reads, confirm links.

Plain functions: they flush, never commit, and raise `core.errors`. Views and the CLI own the
transaction. Pure checks (plate, VIN, credit code, emission inference) live in `registry.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from plates import MatchResult, PlateColor, normalize_plate, parse_color
from vehicle_enforce import signals
from vehicle_enforce.auth import privacy, scope
from vehicle_enforce.auth.models import Township
from vehicle_enforce.auth.services import township_by_name_or_code
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.pagination import page
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles import matching
from vehicle_enforce.vehicles.models import Owner, OwnerKind, Vehicle, VehicleStatus
from vehicle_enforce.vehicles.registry import (
    FieldProblem,
    clean_credit_code,
    clean_plate,
    clean_vin,
    plate_key,
    resolve_emission_standard,
)
from vehicle_enforce.vehicles.schemas import MatchIn, OwnerIn, OwnerQuery, VehicleIn, VehicleQuery

# Fields a POST may send that are copied to the vehicle as they are.
_PLAIN_FIELDS = ("vehicle_type", "fuel", "registration_date", "use", "status", "lean_burn", "gas_converted")
_NULLABLE_FIELDS = frozenset({"registration_date", "use"})


@dataclass
class Registration:
    """What register_vehicle did: the vehicle, whether it is new, and the changes (field: [old, new])."""

    vehicle: Vehicle
    created: bool
    changes: dict[str, list[Any]] = field(default_factory=dict)


def _value(v: Any) -> Any:
    return v.value if hasattr(v, "value") else v


def register_vehicle(data: VehicleIn, *, actor: Actor) -> Registration:
    """Create the vehicle, or update the one with the same plate and colour with the fields sent.

    Idempotent: sending the same body twice changes nothing the second time (no audit entry either).
    Fields left out of the body keep their stored values. When `emission_standard` is absent or null
    and the stored one is not a known value, it is inferred from the first registration date and
    flagged `emission_standard_inferred`.
    """
    errors: dict[str, str] = {}
    plate = colour = None
    try:
        plate, colour = clean_plate(data.plate, data.plate_color)
    except FieldProblem as problem:
        errors[problem.field] = problem.message
    vin, vin_warning = None, None
    try:
        vin, vin_warning = clean_vin(data.vin)
    except FieldProblem as problem:
        errors[problem.field] = problem.message
    credit_code = None
    if data.owner is not None:
        try:
            credit_code = _owner_credit_code(data.owner)
        except FieldProblem as problem:
            errors[f"owner.{problem.field}"] = problem.message
    township: Township | None = None
    if data.township:
        try:
            township = township_by_name_or_code(data.township)
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        raise Invalid("vehicle has invalid fields", errors)
    assert plate is not None and colour is not None  # no errors means both were cleaned

    vehicle = vehicle_by_plate(plate, colour)
    if vehicle is not None:
        changes = _apply(vehicle, data, vin, vin_warning, credit_code, township, created=False, actor=actor)
        if changes:
            db.session.flush()
            audit.record(
                "vehicle.update",
                "vehicle",
                vehicle.id,
                {"plate": plate, "plate_color": colour, **changes},
                actor=actor,
            )
        return Registration(vehicle, False, changes)
    vehicle = Vehicle(plate=plate, plate_color=colour, plate_key=plate_key(plate))
    try:
        with db.session.begin_nested():
            values = _apply(vehicle, data, vin, vin_warning, credit_code, township, created=True, actor=actor)
            db.session.add(vehicle)
            db.session.flush()
    except IntegrityError:
        # A concurrent request registered this plate and colour between our lookup and our insert; the
        # savepoint dropped our half (owner included), so this becomes an update of theirs.
        if vehicle_by_plate(plate, colour) is None:
            raise
        return register_vehicle(data, actor=actor)
    created_values = {name: new for name, (_old, new) in values.items()}
    audit.record(
        "vehicle.create",
        "vehicle",
        vehicle.id,
        {"plate": plate, "plate_color": colour, **created_values},
        actor=actor,
    )
    return Registration(vehicle, True, {})


def _apply(
    vehicle: Vehicle,
    data: VehicleIn,
    vin: str | None,
    vin_warning: str | None,
    credit_code: str | None,
    township: Township | None,
    *,
    created: bool,
    actor: Actor,
) -> dict[str, list[Any]]:
    """Set the sent fields on `vehicle`; return what changed as {field: [old, new]}."""
    sent = data.model_fields_set
    new: dict[str, Any] = {}
    for name in _PLAIN_FIELDS:
        value = getattr(data, name)
        # Booleans and status have defaults; an explicit null there means "not given", elsewhere "unknown".
        if name in sent and (value is not None or name in _NULLABLE_FIELDS):
            new[name] = _value(value)
    if "vin" in sent:
        new["vin"], new["vin_warning"] = vin, vin_warning
    if township is not None:
        new["township_id"] = township.id
    if data.owner is not None:
        new["owner_id"] = _resolve_owner(data.owner, credit_code, None if created else vehicle.owner, actor=actor).id
    merged = {n: new.get(n, getattr(vehicle, n)) for n in ("vehicle_type", "fuel", "registration_date")}
    keeps_known = not created and vehicle.emission_standard is not None and not vehicle.emission_standard_inferred
    if "emission_standard" in sent or not keeps_known:
        standard, inferred = resolve_emission_standard(
            data.emission_standard, merged["vehicle_type"], merged["fuel"], merged["registration_date"]
        )
        new["emission_standard"], new["emission_standard_inferred"] = standard, inferred
    if created:
        new.setdefault("status", VehicleStatus.active.value)
        new.setdefault("lean_burn", False)
        new.setdefault("gas_converted", False)
    changes = {n: [getattr(vehicle, n), v] for n, v in new.items() if created or getattr(vehicle, n) != v}
    for name, (_old, value) in changes.items():
        setattr(vehicle, name, value)
    return changes


def _owner_credit_code(owner: OwnerIn) -> str | None:
    code = clean_credit_code(owner.credit_code)
    if owner.kind == OwnerKind.enterprise and code is None:
        raise FieldProblem("credit_code", "an enterprise owner needs its unified social credit code")
    if owner.kind == OwnerKind.person and code is not None:
        raise FieldProblem("credit_code", "a person has no unified social credit code; use kind enterprise")
    return code


def upsert_owner(owner: OwnerIn, *, actor: Actor, current: Owner | None = None) -> Owner:
    """Return the owner record for `owner`: enterprises by credit code, people as described in OwnerIn.

    Used by the registry and by other domains (depot spot tests, NRMM, phase-out) that name an owner.
    """
    try:
        code = _owner_credit_code(owner)
    except FieldProblem as problem:
        raise Invalid("owner has invalid fields", {f"owner.{problem.field}": problem.message}) from None
    return _resolve_owner(owner, code, current, actor=actor)


def _resolve_owner(owner: OwnerIn, credit_code: str | None, current: Owner | None, *, actor: Actor) -> Owner:
    details = {"name": owner.name, "phone": owner.phone, "address": owner.address}
    if credit_code is not None:
        found = db.session.scalar(select(Owner).where(Owner.credit_code == credit_code))
        if found is None:
            record = Owner(kind=OwnerKind.enterprise.value, credit_code=credit_code, **details)
            try:
                with db.session.begin_nested():
                    db.session.add(record)
                    db.session.flush()
            except IntegrityError:  # registered concurrently (the savepoint dropped ours): use that one
                found = db.session.scalar(select(Owner).where(Owner.credit_code == credit_code))
                assert found is not None
                return _update_owner(found, details, actor=actor)
            audit.record(
                "owner.create",
                "owner",
                record.id,
                privacy.mask_details({"kind": record.kind, **details, "credit_code": credit_code}),
                actor=actor,
            )
            return record
        return _update_owner(found, details, actor=actor)
    if current is not None and current.kind == OwnerKind.person and current.name == owner.name:
        return _update_owner(current, details, actor=actor)
    if owner.phone:  # without a credit code, the same name and phone are one owner
        same = db.session.scalar(
            select(Owner)
            .where(Owner.kind == OwnerKind.person.value, Owner.name == owner.name, Owner.phone == owner.phone)
            .order_by(Owner.id)
            .limit(1)
        )
        if same is not None:
            return _update_owner(same, details, actor=actor)
    record = Owner(kind=OwnerKind.person.value, **details)
    db.session.add(record)
    db.session.flush()
    audit.record("owner.create", "owner", record.id, {"kind": record.kind, "name": owner.name}, actor=actor)
    return record


def _update_owner(record: Owner, details: dict[str, Any], *, actor: Actor) -> Owner:
    changes = {k: [getattr(record, k), v] for k, v in details.items() if v is not None and getattr(record, k) != v}
    for name, (_old, value) in changes.items():
        setattr(record, name, value)
    if changes:
        db.session.flush()
        audit.record("owner.update", "owner", record.id, privacy.mask_details(changes), actor=actor)
    return record


# --- reads -------------------------------------------------------------------------------------------


def vehicle_by_plate(plate: str, plate_color: str) -> Vehicle | None:
    """Return the vehicle registered with exactly this stored plate and colour."""
    return db.session.scalar(select(Vehicle).where(Vehicle.plate == plate, Vehicle.plate_color == plate_color))


def retire(vehicle: Vehicle, status: str) -> str:
    """Set the registration status a recorded phase-out action gives a vehicle (scrapped, deregistered,
    transferred out); the caller audits the action. Returns the status it had."""
    old, vehicle.status = vehicle.status, VehicleStatus(status).value
    db.session.flush()
    return old


def get_vehicle(vehicle_id: int, *, actor: Actor) -> Vehicle:
    """Return a vehicle `actor` may see; another township's vehicle is 404 like a missing one."""

    return scope.get_or_404(Vehicle, vehicle_id, actor, what="vehicle")


def list_vehicles(query: VehicleQuery, *, actor: Actor) -> tuple[list[Vehicle], str | None]:
    """Vehicles by plate (any colour unless given), VIN, owner, township or status, keyset-paginated."""

    stmt: Select[Any] = scope.scoped(select(Vehicle), Vehicle, actor)
    if query.plate:
        stmt = stmt.where(Vehicle.plate == normalize_plate(query.plate))
    if query.plate_color:
        stmt = stmt.where(Vehicle.plate_color == _query_colour(query.plate_color))
    if query.vin:
        stmt = stmt.where(Vehicle.vin == query.vin.strip().upper())
    if query.owner_id:
        stmt = stmt.where(Vehicle.owner_id == query.owner_id)
    if query.status:
        stmt = stmt.where(Vehicle.status == query.status.value)
    if query.township:
        stmt = stmt.where(Vehicle.township_id == township_by_name_or_code(query.township).id)
    rows, cursor = page(stmt, Vehicle.id, query)
    return list(rows), cursor


def _query_colour(value: str) -> str:
    try:
        return parse_color(value).value
    except ValueError as exc:
        raise Invalid("unknown plate colour", {"plate_color": str(exc)}) from None


def vehicle_history(vehicle_id: int, viewer: Actor) -> dict[str, Any]:
    """Merge the history sections other domains answer (`signals.vehicle_history_wanted`).

    Each domain's receiver returns its sections, e.g. `{"blacklist": [...]}`; vehicles imports none of
    them, so the dependency points the right way.
    """
    sections: dict[str, Any] = {}
    for part in signals.answers(signals.vehicle_history_wanted, "vehicles", vehicle_id=vehicle_id, viewer=viewer):
        sections.update(part)
    return sections


def get_owner(owner_id: int) -> Owner:
    owner = db.session.get(Owner, owner_id)
    if owner is None:
        raise NotFound(f"owner {owner_id} not found")
    return owner


def list_owners(query: OwnerQuery) -> tuple[list[Owner], str | None]:
    stmt: Select[Any] = select(Owner)
    if query.credit_code:
        stmt = stmt.where(Owner.credit_code == query.credit_code.strip().upper())
    if query.name:
        stmt = stmt.where(Owner.name.contains(query.name, autoescape=True))
    rows, cursor = page(stmt, Owner.id, query)
    return list(rows), cursor


def fleet_summary(owner_id: int) -> dict[str, Any]:
    """Count an owner's vehicles by status and by emission standard (what depot checks look at)."""

    by_status = dict(
        db.session.execute(
            select(Vehicle.status, func.count()).where(Vehicle.owner_id == owner_id).group_by(Vehicle.status)
        ).all()
    )
    by_standard = db.session.execute(
        select(Vehicle.emission_standard, func.count())
        .where(Vehicle.owner_id == owner_id, Vehicle.status == VehicleStatus.active.value)
        .group_by(Vehicle.emission_standard)
    ).all()
    return {
        "vehicles": sum(by_status.values()),
        "by_status": by_status,
        "active_by_emission_standard": {("unknown" if s is None else str(s)): n for s, n in by_standard},
    }


# --- matching and link confirmation ------------------------------------------------------------------


def match(data: MatchIn) -> MatchResult:
    """Decide which registered vehicle a plate read names (see plates.rank_candidates)."""
    try:
        colour = parse_color(data.plate_color)
    except ValueError as exc:
        raise Invalid("unknown plate colour", {"plate_color": str(exc)}) from None
    return matching.match_plate(data.plate, colour.value if colour is not PlateColor.UNKNOWN else None)


def confirm_match(object_type: str, object_id: int, vehicle_id: int, reason: str, *, actor: Actor) -> Vehicle:
    """Record that a person confirmed which vehicle a record (e.g. an ambiguous pass) belongs to.

    Validates the vehicle and the reason and writes the audit entry; the calling domain sets its own
    foreign key and its link status (`matching.LinkStatus.confirmed`) in the same transaction.
    """
    errors = {}
    if not object_type or not object_type.strip():
        errors["object_type"] = "required"
    if not reason or not reason.strip():
        errors["reason"] = "say why this vehicle is the right one (e.g. checked the plate photo)"
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None:
        errors["vehicle_id"] = f"no vehicle {vehicle_id}"
    if errors:
        raise Invalid("cannot confirm the match", errors)
    assert vehicle is not None
    audit.record(
        "vehicle.match_confirm",
        object_type,
        object_id,
        {
            "vehicle_id": vehicle.id,
            "plate": vehicle.plate,
            "plate_color": vehicle.plate_color,
            "reason": reason.strip(),
        },
        actor=actor,
    )
    return vehicle
