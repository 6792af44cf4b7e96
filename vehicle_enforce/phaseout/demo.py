"""Demo phase-out: 2019-2020 quotas per township, actions through the autumn, two vehicles seen again."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from vehicle_enforce.auth.models import Township
from vehicle_enforce.core.actors import SYSTEM
from vehicle_enforce.core.timeutil import SHANGHAI
from vehicle_enforce.extensions import db
from vehicle_enforce.phaseout import eligibility
from vehicle_enforce.phaseout.actions import record_action
from vehicle_enforce.phaseout.models import ActionKind
from vehicle_enforce.phaseout.quotas import set_quotas
from vehicle_enforce.phaseout.rules import current_rules
from vehicle_enforce.phaseout.schemas import ActionIn, QuotaItemIn, QuotasIn
from vehicle_enforce.phaseout.sightings import check_seen_again
from vehicle_enforce.vehicles.models import Vehicle

KINDS = [("scrapped", 0.7), ("deregistered", 0.2), ("transferred_out", 0.1)]


def load(rng: random.Random) -> None:
    rules = current_rules()
    eligible = db.session.scalars(eligibility.eligible_query(rules).order_by(Vehicle.id)).all()
    per_township = dict(
        db.session.execute(
            select(Vehicle.township_id, func.count())
            .where(eligibility.eligible_clause(rules))
            .group_by(Vehicle.township_id)
        ).all()
    )
    townships = db.session.scalars(select(Township).order_by(Township.id)).all()
    # Quotas a little under each township's stock, as the county would assign them.
    quotas = [QuotaItemIn(township=t.code, quota=int(per_township.get(t.id, 0) * 0.8)) for t in townships]
    set_quotas(QuotasIn(period=rules.default_period, quotas=quotas), actor=SYSTEM)
    start = date(2019, 6, 1)
    actions = []
    for vehicle in rng.sample(list(eligible), k=int(len(eligible) * 0.35)):
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        action, _ = record_action(
            ActionIn(
                kind=ActionKind(kind),
                action_date=start + timedelta(days=int(rng.triangular(0, 210, 180))),
                vehicle_id=vehicle.id,
                certificate_no=f"140525{rng.randint(10**9, 10**10 - 1)}" if kind == "scrapped" else None,
                destination=rng.choice(["河南省焦作市", "河北省邯郸市", "山西省长治市"])
                if kind == "transferred_out"
                else None,
                evidence_files=[f"phaseout/{vehicle.plate}-证明.jpg"],
            ),
            actor=SYSTEM,
        )
        actions.append(action)
    sightings = [
        (
            a.vehicle_id,
            datetime.combine(a.action_date + timedelta(days=9), datetime.min.time(), SHANGHAI).replace(hour=8),
            "remote_sensing",
            "JC-RS-01",
        )
        for a in actions[:2]
    ]
    check_seen_again(sightings, actor=SYSTEM)
