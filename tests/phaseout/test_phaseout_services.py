"""Eligibility, quotas, actions, progress and the seen-again alert on a hand-checked small county."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from vehicle_enforce.core.actors import SYSTEM
from vehicle_enforce.phaseout.models import ActionKind
from vehicle_enforce.phaseout.schemas import ActionIn, HandleIn, MilestoneIn, QuotaItemIn, QuotasIn


def _quotas(period, quotas=(), starts_on=None, milestones=None):
    """The phase-out quotas of `period` as the transport department sets them (QuotasIn), as the system."""
    from vehicle_enforce.phaseout import quotas as phaseout_quotas

    return phaseout_quotas.set_quotas(
        QuotasIn(
            period=period,
            starts_on=starts_on,
            milestones=[MilestoneIn(due=due, percent=percent) for due, percent in milestones]
            if milestones is not None
            else None,
            quotas=[QuotaItemIn(township=township, quota=quota) for township, quota in quotas],
        ),
        actor=SYSTEM,
    )


# The vehicles of tests/phaseout/conftest.py that must be phased out, worked out by hand.
ELIGIBLE = {"china3", "inferred", "lean_burn", "converted", "tractor", "b1", "b2", "b3", "b4", "b5", "b6"}


def _action(county, label, kind, day, **kwargs):
    from vehicle_enforce.phaseout import actions

    if kind == "scrapped":
        kwargs.setdefault("certificate_no", f"BF-{label}")
    if kind == "transferred_out":
        kwargs.setdefault("destination", "河南省焦作市")
    return actions.record_action(
        ActionIn(kind=ActionKind(kind), action_date=day, vehicle_id=county.vehicles[label], **kwargs), actor=SYSTEM
    )


def _small_county_actions(county):
    from vehicle_enforce.core import transaction

    _quotas("2019-2020", [("bagong", 10), ("高都镇", 5)], starts_on=date(2019, 1, 1))
    _action(county, "china3", "scrapped", date(2019, 10, 1))
    _action(county, "inferred", "deregistered", date(2019, 11, 20))
    _action(county, "b1", "transferred_out", date(2019, 11, 27))
    _action(county, "b2", "scrapped", date(2019, 12, 4), subsidy_amount=Decimal("18000.00"))
    _action(county, "b5", "scrapped", date(2019, 12, 20))
    _action(county, "converted", "scrapped", date(2019, 12, 1))
    transaction.commit()


def test_eligibility_follows_the_registry(app, county):
    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout import eligibility
    from vehicle_enforce.phaseout.rules import current_rules
    from vehicle_enforce.vehicles.models import Vehicle

    found = {v.id for v in db.session.scalars(eligibility.eligible_query(current_rules()))}
    assert found == {county.vehicles[label] for label in ELIGIBLE}
    inferred = db.session.get(Vehicle, county.vehicles["inferred"])
    assert eligibility.eligibility_of(inferred) == {"reasons": ["china3_diesel"], "inferred": True}
    china3 = db.session.get(Vehicle, county.vehicles["china3"])
    assert eligibility.eligibility_of(china3) == {"reasons": ["china3_diesel"], "inferred": False}
    gas = db.session.get(Vehicle, county.vehicles["lean_burn"])
    assert eligibility.eligibility_of(gas)["reasons"] == ["lean_burn_gas"]
    gas_only = {v.id for v in db.session.scalars(eligibility.eligible_query(current_rules(), reason="gas"))}
    assert gas_only == {county.vehicles["lean_burn"], county.vehicles["converted"]}


def test_light_trucks_join_when_configured(app, county):
    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout import eligibility
    from vehicle_enforce.phaseout.rules import current_rules

    app.config["PHASEOUT_RULES"] = {"include_light_trucks": True}
    found = {v.id for v in db.session.scalars(eligibility.eligible_query(current_rules()))}
    assert county.vehicles["light"] in found


def test_an_action_takes_the_vehicle_off_the_list_and_is_audited(app, county):
    from vehicle_enforce import signals
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout import eligibility
    from vehicle_enforce.phaseout.rules import current_rules
    from vehicle_enforce.vehicles.models import Vehicle

    seen = []
    with signals.records_stored.connected_to(lambda _kind, records: seen.extend(records)):
        action, created = _action(county, "china3", "scrapped", date(2019, 10, 1))
        transaction.commit()
    assert created
    assert db.session.get(Vehicle, county.vehicles["china3"]).status == "scrapped"
    assert county.vehicles["china3"] not in {
        v.id for v in db.session.scalars(eligibility.eligible_query(current_rules()))
    }
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "phaseout.action"))
    assert entry.changes["vehicle_status"] == ["active", "scrapped"]
    assert [(e.kind, e.object_id) for e in seen] == [("phaseout_action", action.id)]


def test_duplicate_and_contradictory_actions_are_refused(app, county):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.errors import Conflict, Invalid, NotFound
    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout import actions
    from vehicle_enforce.phaseout.models import PhaseoutAction
    from vehicle_enforce.vehicles.models import Vehicle

    first, _ = _action(county, "china3", "scrapped", date(2019, 10, 1))
    transaction.commit()
    again, created = _action(county, "china3", "scrapped", date(2019, 10, 1))
    assert (again.id, created) == (first.id, False)
    with pytest.raises(Conflict, match="already scrapped"):
        _action(county, "china3", "scrapped", date(2019, 10, 2))
    with pytest.raises(Conflict, match="already scrapped"):
        _action(county, "china3", "deregistered", date(2019, 10, 5))
    with pytest.raises(Invalid) as missing:
        _action(county, "b1", "scrapped", date(2019, 10, 1), certificate_no="")
    assert "certificate_no" in missing.value.fields
    with pytest.raises(Invalid) as no_destination:
        _action(county, "b1", "transferred_out", date(2019, 10, 1), destination="")
    assert "destination" in no_destination.value.fields
    with pytest.raises(Invalid, match="not subject"):
        _action(county, "china4", "deregistered", date(2019, 10, 1))
    with pytest.raises(Invalid) as future:
        _action(county, "b1", "deregistered", date(2199, 1, 1))
    assert "action_date" in future.value.fields
    with pytest.raises(NotFound):
        actions.record_action(
            ActionIn(kind=ActionKind.deregistered, action_date=date(2019, 1, 1), vehicle_id=999999), actor=SYSTEM
        )
    # The registry already says deregistered: scrapping contradicts it.
    db.session.get(Vehicle, county.vehicles["b3"]).status = "deregistered"
    transaction.commit()
    with pytest.raises(Conflict, match="registry says"):
        _action(county, "b3", "scrapped", date(2019, 10, 1))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PhaseoutAction)) == 1


def test_action_by_plate_and_colour(app, county):
    from vehicle_enforce.phaseout import actions

    action, created = actions.record_action(
        ActionIn(kind=ActionKind.deregistered, action_date=date(2019, 11, 1), plate="晋e·10002", plate_color="yellow"),
        actor=SYSTEM,
    )
    assert created and action.vehicle_id == county.vehicles["inferred"]


def test_progress_of_the_small_county(app, county):
    from vehicle_enforce.phaseout import progress

    _small_county_actions(county)
    report = progress.progress(date(2019, 12, 10))
    rows = {r["township_code"]: r for r in report["townships"]}
    # 巴公镇: quota 10, target 40% → 4; done by 12-10: 10-01, 11-20, 11-27, 12-04 (the 12-20 one is later).
    # Last 28 days (11-13..12-10): 3 actions → 0.75/week; 21 days to 12-31 → 4 + 0.75 * 3 = 6.25 ≥ 4.
    assert rows["bagong"] == {
        **rows["bagong"],
        "done": 4,
        "quota": 10,
        "percent": 40.0,
        "milestone_target": 4,
        "weekly_rate": 0.75,
        "projected_at_milestone": 6.2,
        "on_track": True,
        "eligible_remaining": 5,  # china3, inferred, lean_burn, b1..b6 = 9 eligible, minus 4 done
    }
    # 高都镇: quota 5, target 2; one action (12-01) → 0.25/week → 1 + 0.75 = 1.75 < 2: not on track.
    assert rows["gaodu"]["done"] == 1
    assert rows["gaodu"]["percent"] == 20.0
    assert rows["gaodu"]["projected_at_milestone"] == 1.8
    assert rows["gaodu"]["on_track"] is False
    assert rows["gaodu"]["eligible_remaining"] == 1
    # A township without a quota has no percentage and no verdict.
    assert rows["nancun"]["percent"] is None and rows["nancun"]["on_track"] is None
    # County: 5 of 15 (33.3%), target ceil(6.0) = 6, 4 recent → 1/week → 5 + 3 = 8 ≥ 6.
    county_row = report["county"]
    assert (county_row["done"], county_row["quota"], county_row["percent"]) == (5, 15, 33.3)
    assert (county_row["milestone_target"], county_row["weekly_rate"], county_row["on_track"]) == (6, 1.0, True)
    assert report["next_milestone"] == {"due": "2019-12-31", "percent": 40.0, "source": "plan"}


def test_milestones_move_on_after_their_date(app, county):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.phaseout import progress

    _small_county_actions(county)
    report = progress.progress(date(2020, 3, 1))
    assert report["next_milestone"]["due"] == "2020-12-31"
    bagong = next(r for r in report["townships"] if r["township_code"] == "bagong")
    # 100% of 10 by 2020-12-31; no action in the last four weeks → projection stays at 5.
    assert (bagong["done"], bagong["milestone_target"], bagong["on_track"]) == (5, 10, False)
    # The transport department moves the milestones; the change is audited and used.
    _quotas("2019-2020", milestones=[(date(2019, 12, 31), 40.0), (date(2021, 6, 30), 80.0)])
    transaction.commit()
    report = progress.progress(date(2020, 3, 1))
    assert report["next_milestone"] == {"due": "2021-06-30", "percent": 80.0, "source": "transport"}
    bagong = next(r for r in report["townships"] if r["township_code"] == "bagong")
    assert bagong["milestone_target"] == 8


def test_quota_changes_are_audited_and_retries_change_nothing(app, county):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.core.errors import Invalid
    from vehicle_enforce.extensions import db

    def quota_entries():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == "phaseout.quota_set")).all()

    _quotas("2019-2020", [("bagong", 10)])
    transaction.commit()
    _quotas("2019-2020", [("bagong", 10)])
    transaction.commit()
    assert len(quota_entries()) == 1
    _quotas("2019-2020", [("巴公镇", 12)])
    transaction.commit()
    assert [e.changes["quota"] for e in quota_entries()] == [[None, 10], [10, 12]]
    with pytest.raises(Invalid) as unknown:
        _quotas("2019-2020", [("nowhere", 1)])
    assert "quotas.0.township" in unknown.value.fields
    db.session.rollback()
    with pytest.raises(Invalid):
        _quotas("2021", starts_on=date(2021, 1, 1), milestones=[(date(2021, 6, 1), 0.0)])
    db.session.rollback()
    with pytest.raises(Invalid, match="start date"):
        _quotas("2021")


def test_empty_database_reports_zeros(app):
    from vehicle_enforce.phaseout import progress

    report = progress.progress(date(2019, 12, 31))
    assert report["period"] is None
    assert report["county"]["done"] == 0 and report["county"]["percent"] is None
    assert all(r["done"] == 0 and r["percent"] is None for r in report["townships"])


def test_seen_again_after_phase_out_opens_one_alert(app, county):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.core.errors import Conflict
    from vehicle_enforce.core.timeutil import SHANGHAI
    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout import sightings
    from vehicle_enforce.phaseout.models import SeenAgainAlert

    _action(county, "china3", "scrapped", date(2019, 10, 1))
    transaction.commit()
    scrapped = county.vehicles["china3"]
    same_day = datetime(2019, 10, 1, 23, 30, tzinfo=SHANGHAI)
    later = datetime(2019, 11, 5, 9, 15, tzinfo=SHANGHAI)
    seen = [
        (scrapped, same_day, "remote_sensing", "JC-RS-01"),
        (scrapped, later, "remote_sensing", "JC-RS-01"),
        (county.vehicles["b1"], later, "checkpoint", "JC-RD-01"),  # never phased out
    ]
    alerts = sightings.check_seen_again(seen, actor=SYSTEM)
    transaction.commit()
    assert [(a.vehicle_id, a.state) for a in alerts] == [(scrapped, "open")]
    again = sightings.check_seen_again(seen, actor=SYSTEM)
    transaction.commit()
    assert [a.id for a in again] == [alerts[0].id]
    assert db.session.scalar(select(func.count()).select_from(SeenAgainAlert)) == 1
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "phaseout.seen_again")) == 1

    handled = sightings.handle_alert(alerts[0].id, HandleIn(note="已移交交警查处"), actor=SYSTEM)
    transaction.commit()
    assert handled.state == "handled" and handled.handled_by == "system"
    assert sightings.handle_alert(alerts[0].id, HandleIn(note="已移交交警查处"), actor=SYSTEM).id == handled.id
    with pytest.raises(Conflict):
        sightings.handle_alert(alerts[0].id, HandleIn(note="另一个处理意见"), actor=SYSTEM)
