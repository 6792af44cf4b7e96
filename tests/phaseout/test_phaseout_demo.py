"""The demo county gets a living phase-out: quotas, actions and a seen-again alert."""

from __future__ import annotations

from sqlalchemy import func, select


def test_demo_loads_phaseout_records(app):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.demo import load_demo
    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout.models import PhaseoutAction, PhaseoutQuota, SeenAgainAlert

    load_demo(vehicles=400)
    transaction.commit()
    assert db.session.scalar(select(func.count()).select_from(PhaseoutQuota)) > 0
    assert db.session.scalar(select(func.count()).select_from(PhaseoutAction)) > 0
    assert db.session.scalar(select(func.count()).select_from(SeenAgainAlert)) == 2
