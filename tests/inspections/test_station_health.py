"""Station health reaches the environment inbox: silent in operating hours, failed self-checks, calibration ending."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.passes import pass_body
from vehicle_enforce.core.timeutil import SHANGHAI

NOW = datetime(2019, 11, 1, 10, 0, tzinfo=SHANGHAI)  # a Friday morning, inside the default 07:00-19:00


def _pass(client, headers, station, record_id, when, **over):
    body = pass_body(record_id, when, station=station, **over)
    r = client.post("/api/v1/remote-sensing/passes", json=body, headers=headers)
    assert r.status_code in (200, 201), r.get_data(as_text=True)


@pytest.fixture
def county(app, client, auth_headers, station_factory, monkeypatch):
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections import health, stations

    monkeypatch.setattr(health, "now_utc", lambda: NOW)
    quiet = station_factory("JC-RS-01", "remote_sensing", calibration_valid_until=date(2019, 11, 11))
    busy = station_factory("JC-RS-02", "remote_sensing", calibration_valid_until=date(2020, 6, 1))
    never = station_factory("JC-BS-01", "black_smoke")
    station_factory("JC-RD-01", "roadside")  # manual stations post when officers test: never "silent"
    stations.add_device(
        station="JC-RS-02", code="DEV-1", calibration_valid_until=date(2019, 10, 30), actor=actors.system("test")
    )
    stations.add_device(
        station="JC-RS-02", code="DEV-2", calibration_valid_until=date(2019, 12, 31), actor=actors.system("test")
    )
    for station in (quiet, busy, never):
        station.created_at = datetime(2019, 10, 1, tzinfo=SHANGHAI)
    db.session.flush()
    transaction.commit()
    env = auth_headers("environment")
    _pass(client, env, "JC-RS-01", "Q1", "2019-11-01T07:40:00+08:00")  # 2 h 20 min ago
    _pass(client, env, "JC-RS-02", "B1", "2019-11-01T09:30:00+08:00")
    _pass(client, env, "JC-RS-02", "B2", "2019-11-01T09:40:00+08:00", device_valid=False)
    return env


def _health(client, headers):
    r = client.get("/api/v1/inbox", headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return {s["station"]: {p["code"]: p for p in s["problems"]} for s in r.get_json()["station_health"]}


def test_silent_stations_failed_self_checks_and_ending_calibrations_reach_the_environment_inbox(
    county, client, auth_headers
):
    health = _health(client, county)
    assert set(health) == {"JC-RS-01", "JC-RS-02", "JC-BS-01"}
    assert set(health["JC-RS-01"]) == {"silent", "calibration_expiring"}
    assert "120 分钟未上传" in health["JC-RS-01"]["silent"]["message"]
    assert "2019-11-01 07:40" in health["JC-RS-01"]["silent"]["message"]  # Beijing time
    assert health["JC-RS-01"]["calibration_expiring"]["valid_until"] == "2019-11-11"
    assert "将于" in health["JC-RS-01"]["calibration_expiring"]["message"]
    assert set(health["JC-RS-02"]) == {"self_check_failed", "calibration_expiring"}
    assert health["JC-RS-02"]["self_check_failed"]["count"] == 1
    assert "设备 DEV-1" in health["JC-RS-02"]["calibration_expiring"]["message"]
    assert "已于" in health["JC-RS-02"]["calibration_expiring"]["message"]
    assert health["JC-BS-01"]["silent"]["last_record_at"] is None
    assert "从未上传" in health["JC-BS-01"]["silent"]["message"]
    # Station health is the environment bureau's; other departments' inboxes do not carry it.
    assert "station_health" not in client.get("/api/v1/inbox", headers=auth_headers("police")).get_json()


def test_silence_counts_only_inside_operating_hours(county, client, app, monkeypatch):
    from vehicle_enforce.inspections import health

    monkeypatch.setattr(health, "now_utc", lambda: datetime(2019, 11, 1, 6, 30, tzinfo=SHANGHAI))
    assert not any("silent" in p for p in _health(client, county).values())
    # Opening at 07:00 does not make the night's quiet count: 08:30 is 90 minutes into the day.
    monkeypatch.setattr(health, "now_utc", lambda: datetime(2019, 11, 2, 8, 30, tzinfo=SHANGHAI))
    assert not any("silent" in p for p in _health(client, county).values())
    app.config["STATION_SILENT_MINUTES"] = 60
    assert {s for s, p in _health(client, county).items() if "silent" in p} == {"JC-RS-01", "JC-RS-02", "JC-BS-01"}
