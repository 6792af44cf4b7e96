"""The heavy-pollution gate report judges by the registry when the gate record carries no standard.

Through HTTP on both databases: a registered 国三 truck entering without a standard on its record is
listed (standard from the registry), a registered 国五 is not, an unregistered truck is listed as such,
and a doubtful plate match of a gate record made during the alert waits for a person.
"""

from __future__ import annotations

from typing import Any


def _vehicle(plate: str, standard: int | None, *, fuel: str = "diesel", inferred: bool = False) -> int:
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Vehicle
    from vehicle_enforce.vehicles.registry import plate_key

    v = Vehicle(
        plate=plate,
        plate_color="yellow",
        plate_key=plate_key(plate),
        vehicle_type="heavy_truck",
        fuel=fuel,
        emission_standard=standard,
        emission_standard_inferred=inferred,
        status="active",
    )
    db.session.add(v)
    db.session.flush()
    transaction.commit()
    return v.id


def _enterprise(client: Any, env: dict[str, str]) -> int:
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner

    owner = Owner(kind="enterprise", name="泽州县某钢铁厂")
    db.session.add(owner)
    db.session.flush()
    transaction.commit()
    r = client.post(
        "/api/v1/alerts/enterprise-grades",
        json={"owner_id": owner.id, "grade": "B", "daily_truck_trips": 60},
        headers=env,
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return owner.id


def test_gate_report_uses_the_registry_and_lists_unregistered_trucks(client, auth_headers, app):
    env = auth_headers("environment")
    owner = _enterprise(client, env)
    old = _vehicle("晋E50001", 3)
    _vehicle("晋E50002", 5)  # 国五: not restricted under orange
    inferred = _vehicle("晋E50003", 3, inferred=True)
    alert = client.post(
        "/api/v1/alerts",
        json={"level": "orange", "starts_at": "2019-12-01T08:00:00+08:00", "ends_at": "2019-12-03T00:00:00+08:00"},
        headers=env,
    ).get_json()
    rows = [
        {"plate": "晋E50001", "direction": "in", "at": "2019-12-01T09:00:00+08:00"},
        {"plate": "晋E50002", "direction": "in", "at": "2019-12-01T09:05:00+08:00"},
        {"plate": "晋E50003", "direction": "out", "at": "2019-12-01T09:10:00+08:00"},
        {"plate": "晋E59999", "direction": "in", "at": "2019-12-01T09:20:00+08:00"},
        # The gate's own standard wins over the registry's.
        {"plate": "晋E50002", "direction": "out", "at": "2019-12-01T10:00:00+08:00", "emission_standard": 4},
    ]
    r = client.post("/api/v1/alerts/gate-records", json={"owner_id": owner, "records": rows}, headers=env)
    assert r.get_json() == {"stored": 5, "duplicates": 0}
    report = client.get(f"/api/v1/alerts/{alert['id']}/report.json", headers=auth_headers("police")).get_json()
    by_plate = {(r["plate"], r["direction"]): r for r in report["results"]}
    assert set(by_plate) == {("晋E50001", "进厂"), ("晋E50003", "出厂"), ("晋E59999", "进厂"), ("晋E50002", "出厂")}
    registered = by_plate[("晋E50001", "进厂")]
    assert registered["emission_standard"] == 3 and registered["standard_source"] == "registry"
    assert registered["registered"] is True and registered["vehicle_id"] == old
    assert "取自车辆登记库" in registered["measure"]
    assert by_plate[("晋E50003", "出厂")]["standard_source"] == "registry_inferred"
    assert by_plate[("晋E50003", "出厂")]["vehicle_id"] == inferred
    unregistered = by_plate[("晋E59999", "进厂")]
    assert unregistered["registered"] is False and unregistered["emission_standard"] is None
    assert "未登记车辆" in unregistered["measure"]
    assert by_plate[("晋E50002", "出厂")]["standard_source"] == "gate"
    xlsx = client.get(f"/api/v1/alerts/{alert['id']}/report.xlsx", headers=env)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_a_doubtful_gate_match_during_an_alert_is_reviewed_and_outside_is_not(client, auth_headers, app):
    env = auth_headers("environment")
    owner = _enterprise(client, env)
    vid = _vehicle("晋E50001", 3)
    client.post(
        "/api/v1/alerts",
        json={"level": "orange", "starts_at": "2019-12-01T08:00:00+08:00", "ends_at": "2019-12-03T00:00:00+08:00"},
        headers=env,
    )
    rows = [
        {"plate": "晋E5000I", "direction": "in", "at": "2019-12-01T09:00:00+08:00"},  # read I for 1: exact
        {"plate": "陕E50001", "direction": "in", "at": "2019-12-01T09:30:00+08:00"},  # province misread: probable
        {"plate": "陕E50001", "direction": "in", "at": "2019-12-05T09:30:00+08:00"},  # no alert: not queued
    ]
    r = client.post("/api/v1/alerts/gate-records", json={"owner_id": owner, "records": rows}, headers=env)
    assert r.status_code == 201, r.get_data(as_text=True)  # stored now (a retry answers 200)
    queued = client.get("/api/v1/match-reviews?kind=gate_record", headers=env).get_json()["results"]
    assert [(q["plate"], q["match_decision"], q["vehicle_id"]) for q in queued] == [("陕E50001", "probable", vid)]
    assert queued[0]["record_kind_zh"] == "预警期间企业闸口记录"
    r = client.post(
        f"/api/v1/match-reviews/{queued[0]['id']}",
        json={"action": "confirm", "vehicle_id": vid, "reason": "核对"},
        headers=env,
    )
    assert r.status_code == 200 and r.get_json()["record"]["match_decision"] == "confirmed"
