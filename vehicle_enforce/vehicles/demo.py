"""Demo data for the registry: VIN warnings on the demo fleet, and showcase vehicles for plate matching.

The base demo (vehicle_enforce/demo.py) inserts the county's fleet directly; this adds what the
registry rules would have recorded and a few vehicles that show each match decision:
晋E1238S and 晋E123B5 make the read 晋E123BS ambiguous, 晋E12345 makes 晋E1234S probable.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select, update

from vehicle_enforce.core import actors
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles import services
from vehicle_enforce.vehicles.models import Vehicle
from vehicle_enforce.vehicles.registry import (
    FieldProblem,
    clean_vin,
    credit_code_check_char,
    plate_key,
    resolve_emission_standard,
)
from vehicle_enforce.vehicles.schemas import OwnerIn

_CODE_BODY = "91140525MA0D3M001"  # the first 17 characters of a unified social credit code
SHOWCASE = [
    ("晋E12345", "yellow", "heavy_truck", 3, date(2012, 5, 4)),
    ("晋E1238S", "yellow", "heavy_truck", 4, date(2015, 8, 20)),
    ("晋E123B5", "yellow", "tractor", None, date(2011, 3, 15)),  # standard inferred: 国三
    ("晋E55555", "yellow", "heavy_truck", 5, date(2018, 1, 10)),
    ("晋E55555", "blue", "light_truck", 5, date(2018, 1, 10)),  # same characters, another vehicle
]


def load(rng: random.Random) -> None:
    """Record VIN check-digit warnings and give a few demo vehicles the showcase plates."""
    warnings = []
    for vehicle_id, vin in db.session.execute(select(Vehicle.id, Vehicle.vin).where(Vehicle.vin_warning.is_(None))):
        try:
            _, warning = clean_vin(vin)
        except FieldProblem as problem:
            warning = problem.message
        if warning:
            warnings.append({"id": vehicle_id, "vin_warning": warning[:128]})
    if warnings:
        db.session.execute(update(Vehicle), warnings)
    owner = services.upsert_owner(
        OwnerIn(
            kind="enterprise",
            name="泽州县示范运输有限公司",
            credit_code=_CODE_BODY + credit_code_check_char(_CODE_BODY),
        ),
        actor=actors.system("demo"),
    )
    # Re-plate existing demo vehicles rather than add new ones: `demo load --vehicles N` keeps N vehicles.
    taken: set[int] = set()
    for plate, colour, vehicle_type, standard, registered in SHOWCASE:
        if services.vehicle_by_plate(plate, colour) is not None:
            continue
        vehicle = db.session.scalar(
            select(Vehicle)
            .where(Vehicle.plate_color == colour, Vehicle.fuel == "diesel", Vehicle.id.not_in(taken or {0}))
            .order_by(Vehicle.id)
            .limit(1)
        )
        if vehicle is None:
            continue
        taken.add(vehicle.id)
        standard_value, inferred = resolve_emission_standard(standard, vehicle_type, "diesel", registered)
        vehicle.plate, vehicle.plate_key, vehicle.vehicle_type = plate, plate_key(plate), vehicle_type
        vehicle.registration_date, vehicle.emission_standard = registered, standard_value
        vehicle.emission_standard_inferred, vehicle.owner_id = inferred, owner.id
        db.session.flush()
