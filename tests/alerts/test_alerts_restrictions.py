"""Alerts: each level's measures, exemptions, overlaps, midnight ends, gate records, hotlist hits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.reports import column, filed_report
from vehicle_enforce.core.timeutil import SHANGHAI


def facts(**over):
    from vehicle_enforce.alerts.services import Facts

    base = {
        "vehicle_type": "heavy_truck",
        "fuel": "diesel",
        "emission_standard": 4,
        "plate_color": "yellow",
        "township_id": 9,
        "grade": "B",
        "daily_trips": 12,
    }
    return Facts(**{**base, **over})


def make_alert(level, start, end, townships=None):
    from vehicle_enforce.alerts import services
    from vehicle_enforce.alerts.schemas import AlertIn
    from vehicle_enforce.core.actors import system

    return services.issue(
        AlertIn(level=level, starts_at=start, ends_at=end, townships=townships), actor=system("环境局")
    )


@pytest.fixture
def now():
    return datetime.now(UTC)


@pytest.mark.parametrize(
    ("level", "over", "restricted"),
    [
        ("blue", {}, False),
        ("yellow", {"emission_standard": 3}, True),
        ("yellow", {"emission_standard": 4}, False),
        ("yellow", {"fuel": "natural_gas", "emission_standard": 3}, False),
        ("orange", {"emission_standard": 4}, True),
        ("orange", {"fuel": "natural_gas", "emission_standard": 4}, True),
        ("orange", {"emission_standard": 5}, False),
        ("orange", {"daily_trips": 9}, False),  # fewer than 10 truck trips a day
        ("orange", {"grade": "A"}, False),  # A-grade enterprises are exempt
        ("orange", {"fuel": "electric", "emission_standard": None}, False),
        ("orange", {"vehicle_type": "special"}, False),
        ("orange", {"vehicle_type": "car"}, False),
        ("red", {"daily_trips": 0}, True),
    ],
)
def test_each_level_and_exemption(app, now, level, over, restricted):
    from vehicle_enforce.alerts import services

    alert = make_alert(level, now - timedelta(hours=1), now + timedelta(hours=1))
    found = services.restriction(facts(**over), [alert])
    assert (found is not None) is restricted
    if found:
        assert found["level"] == level and "预警期间" in found["description_zh"]


def test_overlapping_alerts_the_stricter_wins_and_regions_apply(app, now):
    from vehicle_enforce.alerts import services

    yellow = make_alert("yellow", now - timedelta(hours=2), now + timedelta(hours=5))
    orange = make_alert("orange", now - timedelta(hours=1), now + timedelta(hours=1), townships=[9])
    alerts = services.in_force(now)
    assert {a.id for a in alerts} == {yellow.id, orange.id}
    assert services.strictest(alerts, 9).level == "orange"
    assert services.strictest(alerts, 3).level == "yellow"  # the orange alert covers township 9 only
    assert services.restriction(facts(township_id=9), alerts)["level"] == "orange"
    assert services.restriction(facts(township_id=3), alerts) is None  # 国四 is not restricted at yellow


def test_alert_ending_at_local_midnight(app):
    from vehicle_enforce.alerts import services

    start = datetime(2019, 12, 1, 8, 0, tzinfo=SHANGHAI)
    end = datetime(2019, 12, 3, 0, 0, tzinfo=SHANGHAI)  # "until the end of 12-02"
    make_alert("orange", start, end)
    assert services.in_force(datetime(2019, 12, 2, 23, 59, 59, tzinfo=SHANGHAI))
    assert services.in_force(datetime(2019, 12, 2, 16, 0, tzinfo=UTC)) == []  # 00:00 local on 12-03
    assert services.in_force(datetime(2019, 12, 2, 15, 59, tzinfo=UTC))


def test_extend_upgrade_and_lift_are_audited(client, auth_headers, now):
    env = auth_headers("environment")
    body = {
        "level": "yellow",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=3)).isoformat(),
    }
    alert = client.post("/api/v1/alerts", json=body, headers=env).get_json()
    assert client.post("/api/v1/alerts", json=body, headers=auth_headers("police")).status_code == 403
    r = client.post(f"/api/v1/alerts/{alert['id']}/actions", json={"action": "upgrade", "level": "orange"}, headers=env)
    assert r.get_json()["level"] == "orange"
    assert (
        client.post(
            f"/api/v1/alerts/{alert['id']}/actions", json={"action": "upgrade", "level": "yellow"}, headers=env
        ).status_code
        == 422
    )
    later = (now + timedelta(hours=10)).isoformat()
    assert (
        client.post(
            f"/api/v1/alerts/{alert['id']}/actions", json={"action": "extend", "ends_at": later}, headers=env
        ).status_code
        == 200
    )
    assert [
        a["level"] for a in client.get("/api/v1/alerts/active", headers=auth_headers("police")).get_json()["results"]
    ] == ["orange"]
    client.post(f"/api/v1/alerts/{alert['id']}/actions", json={"action": "lift"}, headers=env)
    assert client.get("/api/v1/alerts/active", headers=env).get_json()["results"] == []
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "alert")))
    assert {"alert.issue", "alert.upgrade", "alert.extend", "alert.lift"} <= actions


def test_gate_records_during_and_outside_alerts(client, auth_headers, app):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner

    owner = Owner(kind="enterprise", name="泽州县某焦化厂")
    db.session.add(owner)
    db.session.flush()
    transaction.commit()
    env = auth_headers("environment")
    client.post(
        "/api/v1/alerts/enterprise-grades",
        json={"owner_id": owner.id, "grade": "B", "daily_truck_trips": 40},
        headers=env,
    )
    alert = client.post(
        "/api/v1/alerts",
        json={"level": "orange", "starts_at": "2019-12-01T08:00:00+08:00", "ends_at": "2019-12-03T00:00:00+08:00"},
        headers=env,
    ).get_json()
    rows = [
        {
            "plate": "晋E11111",
            "direction": "in",
            "at": "2019-12-01T09:00:00+08:00",
            "emission_standard": 4,
            "fuel": "diesel",
        },
        {
            "plate": "晋E22222",
            "direction": "out",
            "at": "2019-12-02T23:30:00+08:00",
            "emission_standard": 3,
            "fuel": "natural_gas",
        },
        {
            "plate": "晋E33333",
            "direction": "in",
            "at": "2019-12-01T09:10:00+08:00",
            "emission_standard": 5,
            "fuel": "diesel",
        },
        {
            "plate": "晋E44444",
            "direction": "in",
            "at": "2019-12-03T00:10:00+08:00",
            "emission_standard": 3,
            "fuel": "diesel",
        },
    ]
    r = client.post("/api/v1/alerts/gate-records", json={"owner_id": owner.id, "records": rows}, headers=env)
    assert r.get_json() == {"stored": 4, "duplicates": 0}
    again = client.post("/api/v1/alerts/gate-records", json={"owner_id": owner.id, "records": rows}, headers=env)
    assert again.get_json() == {"stored": 0, "duplicates": 4}
    report = client.get(f"/api/v1/alerts/{alert['id']}/report.json", headers=auth_headers("transport")).get_json()
    assert [r["plate"] for r in report["results"]] == ["晋E11111", "晋E22222"]
    xlsx = client.get(f"/api/v1/alerts/{alert['id']}/report.xlsx", headers=env)
    assert xlsx.status_code == 200
    book = filed_report(xlsx.data, title="橙色预警期间受限车辆", sheet="预警期间受限车辆")
    ws = book["预警期间受限车辆"]
    assert [c.value for c in column(ws, "号牌号码")] == ["晋E11111", "晋E22222"]
    assert column(ws, "企业")[0].value == "泽州县某焦化厂" and column(ws, "进出方向")[0].value == "进厂"
    first = column(ws, "进出时间")[0]
    assert first.is_date and first.value == datetime(2019, 12, 1, 9, 0)  # a date cell, Beijing wall clock
    assert first.number_format == "yyyy-mm-dd hh:mm:ss"
    notes = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True) if r[0]}
    assert notes["筛选条件：预警期间"] == "2019-12-01 08:00 至 2019-12-03 00:00"


def test_hotlist_reports_restrictions_separately_from_the_blacklist(client, auth_headers, app, now):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Vehicle
    from vehicle_enforce.vehicles.registry import plate_key

    db.session.add(
        Vehicle(
            plate="晋E77777",
            plate_color="yellow",
            plate_key=plate_key("晋E77777"),
            vehicle_type="heavy_truck",
            fuel="diesel",
            emission_standard=3,
            status="active",
        )
    )
    make_alert("red", now - timedelta(hours=1), now + timedelta(hours=1))
    transaction.commit()
    body = client.get(
        "/api/v1/hotlist/check?plate=晋E77777&plate_color=yellow&reason=重污染天气检查", headers=auth_headers("police")
    ).get_json()
    assert body["hit"] is None and body["entry"] is None
    assert body["restriction"]["level"] == "red" and "停止运输" in body["restriction"]["description_zh"]
