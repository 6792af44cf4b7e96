"""Demo machinery: sites (one in a low-emission zone), 300 registered machines and this month's plan."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from vehicle_enforce.auth.models import Township
from vehicle_enforce.core import actors
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm import services
from vehicle_enforce.nrmm.models import Machine, Site
from vehicle_enforce.nrmm.schemas import PlanIn

TYPES = ["excavator", "loader", "forklift", "crane", "roller", "bulldozer"]


def load(rng: random.Random) -> None:
    townships = db.session.scalars(select(Township).order_by(Township.id)).all()
    sites = []
    for i, township in enumerate(townships):
        zone = i == 0
        site = Site(
            name=f"{township.name}建设工地{i + 1}",
            kind="construction",
            township_id=township.id,
            county_id=township.county_id,
            low_emission_zone=zone,
            zone_min_stage=3 if zone else None,
            zone_class="III" if zone else None,
        )
        db.session.add(site)
        sites.append(site)
    db.session.flush()
    rows = []
    for i in range(300):
        acquired = date(2018, 1, 1) + timedelta(days=rng.randint(0, 600))
        electric = rng.random() < 0.05
        rows.append(
            {
                "env_code": f"140500-NR-{i + 1:06d}",
                "pin": f"DEMO{rng.randint(10**9, 10**10 - 1)}{i}",
                "machine_type": rng.choice(TYPES),
                "fuel": "electric" if electric else "diesel",
                "emission_stage": None if electric else rng.choice([1, 2, 2, 3, 3, 3, 4]),
                "rated_power_kw": rng.choice([15.0, 25.0, 55.0, 75.0, 120.0]),
                "site_id": rng.choice(sites).id,
                "acquired_on": acquired,
                "registered_on": acquired + timedelta(days=rng.choice([5, 20, 29, 45])),
                "status": "active",
            }
        )
    db.session.execute(Machine.__table__.insert(), rows)
    services.create_plan(PlanIn(month="2019-11", seed=2019), actor=actors.system("demo"))
