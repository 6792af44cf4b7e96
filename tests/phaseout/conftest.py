"""A hand-checked small county for the phase-out tests (the numbers are worked out in the tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest


@dataclass
class County:
    vehicles: dict[str, int]  # label -> vehicle id
    bagong: int
    gaodu: int


# label: (plate, colour, type, fuel, standard, registered, lean_burn, converted, township code)
VEHICLES = {
    "china3": ("晋E10001", "yellow", "heavy_truck", "diesel", 3, date(2010, 3, 1), False, False, "bagong"),
    "inferred": ("晋E10002", "yellow", "medium_truck", "diesel", None, date(2012, 5, 1), False, False, "bagong"),
    "unknown_new": ("晋E10003", "yellow", "heavy_truck", "diesel", None, date(2014, 1, 1), False, False, "bagong"),
    "china4": ("晋E10004", "yellow", "heavy_truck", "diesel", 4, date(2014, 1, 1), False, False, "bagong"),
    "light": ("晋E10005", "blue", "light_truck", "diesel", 3, date(2011, 1, 1), False, False, "bagong"),
    "lean_burn": ("晋E10006", "yellow", "heavy_truck", "natural_gas", 5, date(2018, 1, 1), True, False, "bagong"),
    "converted": ("晋E10007", "yellow", "heavy_truck", "natural_gas", 5, date(2018, 1, 1), False, True, "gaodu"),
    "plain_gas": ("晋E10008", "yellow", "heavy_truck", "natural_gas", 5, date(2018, 1, 1), False, False, "gaodu"),
    "old_car": ("晋E10009", "blue", "car", "gasoline", 2, date(2005, 1, 1), False, False, "gaodu"),
    "tractor": ("晋E10010", "yellow", "tractor", "diesel", 2, date(2006, 1, 1), False, False, "gaodu"),
    "bus": ("晋E10011", "yellow", "bus", "diesel", 3, date(2010, 1, 1), False, False, "gaodu"),
    **{
        f"b{i}": (f"晋E2000{i}", "yellow", "heavy_truck", "diesel", 3, date(2009, 1, 1), False, False, "bagong")
        for i in range(1, 7)
    },
}


@pytest.fixture
def county(app) -> County:
    from sqlalchemy import select

    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Vehicle
    from vehicle_enforce.vehicles.registry import plate_key

    townships = {t.code: t.id for t in db.session.scalars(select(Township))}
    ids = {}
    for label, (plate, colour, vtype, fuel, std, registered, lean, converted, town) in VEHICLES.items():
        vehicle = Vehicle(
            plate=plate,
            plate_color=colour,
            plate_key=plate_key(plate),
            vehicle_type=vtype,
            fuel=fuel,
            emission_standard=std,
            emission_standard_inferred=False,
            registration_date=registered,
            lean_burn=lean,
            gas_converted=converted,
            township_id=townships[town],
            status="active",
        )
        db.session.add(vehicle)
        db.session.flush()
        ids[label] = vehicle.id
    transaction.commit()
    return County(ids, townships["bagong"], townships["gaodu"])
