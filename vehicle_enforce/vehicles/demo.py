"""Demo data for the registry: VIN warnings on the demo fleet, and showcase vehicles for plate matching.

The base demo (vehicle_enforce/demo.py) inserts the county's fleet directly; this adds what the
registry rules would have recorded and a few vehicles that show each match decision:
晋E1238S and 晋E123B5 make the read 晋E123BS ambiguous, 晋E12345 makes 晋E1234S probable.
"""

from __future__ import annotations

import random

from sqlalchemy import select, update

from vehicle_enforce.core.schemas import validate
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles import services
from vehicle_enforce.vehicles.models import Vehicle
from vehicle_enforce.vehicles.registry import FieldProblem, clean_vin, credit_code_check_char
from vehicle_enforce.vehicles.schemas import VehicleIn

_CODE_BODY = "91140525MA0D3M001"  # the first 17 characters of a unified social credit code


def load(rng: random.Random) -> None:
    """Record VIN check-digit warnings and register the showcase vehicles (idempotent: upserts)."""
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
    owner = {
        "kind": "enterprise",
        "name": "泽州县示范运输有限公司",
        "credit_code": _CODE_BODY + credit_code_check_char(_CODE_BODY),
    }
    showcase = [
        ("晋E12345", "yellow", "heavy_truck", 3, "2012-05-04"),
        ("晋E1238S", "yellow", "heavy_truck", 4, "2015-08-20"),
        ("晋E123B5", "yellow", "tractor", None, "2011-03-15"),  # standard inferred: 国三
        ("晋E55555", "yellow", "heavy_truck", 5, "2018-01-10"),
        ("晋E55555", "blue", "light_truck", 5, "2018-01-10"),  # same characters, another vehicle
    ]
    for plate, colour, vehicle_type, standard, registered in showcase:
        services.register_vehicle(
            validate(
                VehicleIn,
                {
                    "plate": plate,
                    "plate_color": colour,
                    "vin": "LZZ" + "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", k=14)),
                    "vehicle_type": vehicle_type,
                    "fuel": "diesel",
                    "emission_standard": standard,
                    "registration_date": registered,
                    "use": "operating",
                    "owner": owner,
                    "township": "巴公镇",
                },
            )
        )
