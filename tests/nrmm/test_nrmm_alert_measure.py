"""The machinery measure of orange and red alerts (国二 and older stop) is enforced in spot checks."""

from __future__ import annotations

import pytest

from tests.nrmm.test_nrmm_flow import add_machine, add_site


@pytest.fixture
def env(auth_headers):
    return auth_headers("environment")


def _alert(client, env, level, starts, ends):
    r = client.post("/api/v1/alerts", json={"level": level, "starts_at": starts, "ends_at": ends}, headers=env)
    assert r.status_code == 201, r.get_data(as_text=True)


def _check(client, env, machine, when):
    r = client.post(
        "/api/v1/nrmm/spot-checks",
        json={"machine_id": machine, "checked_at": when, "k_readings": [0.3, 0.3, 0.3], "ringelmann": 0},
        headers=env,
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


@pytest.mark.parametrize(("level", "stopped"), [("orange", True), ("red", True), ("yellow", False), ("blue", False)])
def test_a_stage_two_machine_working_during_an_orange_or_red_alert_is_a_violation(client, env, level, stopped):
    site = add_site(client, env, "巴公镇某工地")
    old = add_machine(client, env, "OLD-2", emission_stage=2, rated_power_kw=75.0, site_id=site).get_json()["id"]
    new = add_machine(client, env, "NEW-3", emission_stage=3, rated_power_kw=75.0, site_id=site).get_json()["id"]
    _alert(client, env, level, "2019-12-01T08:00:00+08:00", "2019-12-03T00:00:00+08:00")
    body = _check(client, env, old, "2019-12-01T10:00:00+08:00")
    assert ("alert_stage_stop" in body["violations"]) is stopped
    if stopped:
        assert "重污染天气预警期间" in "".join(body["violations_zh"])
        # The emergency measure is not an art. 114 emission violation: no 5,000 yuan by itself.
        assert body["penalty_yuan"] is None
    assert "alert_stage_stop" not in _check(client, env, new, "2019-12-01T10:30:00+08:00")["violations"]
    # Outside the alert the same machine working is no violation.
    assert _check(client, env, old, "2019-12-05T10:00:00+08:00")["violations"] == []
