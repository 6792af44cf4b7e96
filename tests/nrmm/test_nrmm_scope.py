"""Township scope on non-road machinery: machines, sites, plans, plan items and spot checks.

A township (巴公镇, id 9) sees and changes only its own township's records; another township's record
answers like a missing one. A plan item already checked cannot be turned into `not-found`.
"""

from __future__ import annotations

import pytest

M = {"machine_type": "excavator", "emission_stage": 4, "fuel": "diesel", "rated_power_kw": 75.0}
WHEN = "2019-11-05T10:00:00+08:00"
OURS, THEIRS = 9, 1  # 巴公镇, 南村镇


@pytest.fixture
def world(client, auth_headers):
    env = auth_headers("environment")

    def post(url, body):
        r = client.post(url, json=body, headers=env)
        assert r.status_code == 201, r.get_data(as_text=True)
        return r.get_json()

    sites = {
        t: post("/api/v1/nrmm/sites", {"name": f"工地{t}", "kind": "construction", "township_id": t})["id"]
        for t in (OURS, THEIRS)
    }
    machines = {
        t: post("/api/v1/nrmm/machines", {**M, "pin": f"PIN-T{t}", "site_id": sites[t], "registered_on": "2019-10-01"})[
            "id"
        ]
        for t in (OURS, THEIRS)
    }
    plan = post("/api/v1/nrmm/sampling-plans", {"month": "2019-11", "seed": 1, "share": 1.0})
    items = {i["township_id"]: i["id"] for i in plan["items"]}
    checks = {
        t: post("/api/v1/nrmm/spot-checks", {"machine_id": machines[t], "checked_at": WHEN, "k_readings": [0.1] * 3})[
            "id"
        ]
        for t in (THEIRS,)
    }
    return {"env": env, "sites": sites, "machines": machines, "items": items, "checks": checks}


def test_lists_show_only_the_townships_records(client, auth_headers, world):
    ours = auth_headers("township", township="巴公镇")
    get = lambda url: client.get(url, headers=ours).get_json()  # noqa: E731
    assert [m["id"] for m in get("/api/v1/nrmm/machines")["results"]] == [world["machines"][OURS]]
    assert [s["id"] for s in get("/api/v1/nrmm/sites")["results"]] == [world["sites"][OURS]]
    assert get("/api/v1/nrmm/spot-checks")["results"] == []
    plan = get("/api/v1/nrmm/sampling-plans/2019-11")
    assert [i["township_id"] for i in plan["items"]] == [OURS] and plan["size"] == 1
    assert get("/api/v1/nrmm/sampling-plans")["results"][0]["size"] == 1
    assert get(f"/api/v1/nrmm/machines?site_id={world['sites'][THEIRS]}")["results"] == []
    # The county sees both townships.
    env = world["env"]
    assert len(client.get("/api/v1/nrmm/machines", headers=env).get_json()["results"]) == 2
    assert client.get("/api/v1/nrmm/sampling-plans/2019-11", headers=env).get_json()["size"] == 2


def test_a_township_cannot_check_or_fine_another_townships_machine(client, auth_headers, world):
    ours = auth_headers("township", township="巴公镇")
    base = {"checked_at": WHEN, "k_readings": [3.0, 3.0, 3.0]}
    cases = [
        ({"machine_id": world["machines"][THEIRS]}, "machine_id"),
        ({"pin": "PIN-T1"}, "pin"),  # found by PIN: refused, never fined as "unregistered"
        ({"machine_id": world["machines"][OURS], "site_id": world["sites"][THEIRS]}, "site_id"),
        ({"pin": "UNKNOWN-1", "rated_power_kw": 50, "emission_stage": 3}, "site_id"),  # where was it?
    ]
    for extra, field in cases:
        r = client.post("/api/v1/nrmm/spot-checks", json={**base, **extra}, headers=ours)
        assert r.status_code == 422 and field in r.get_json()["error"]["fields"], (extra, r.get_json())
    unknown = client.post("/api/v1/nrmm/spot-checks", json={**base, "machine_id": 999999}, headers=ours).get_json()
    theirs = client.post(
        "/api/v1/nrmm/spot-checks", json={**base, "machine_id": world["machines"][THEIRS]}, headers=ours
    ).get_json()
    assert unknown["error"] == theirs["error"]  # not told apart from a missing machine
    env = world["env"]
    assert len(client.get("/api/v1/nrmm/spot-checks", headers=env).get_json()["results"]) == 1  # nothing stored
    ok = client.post("/api/v1/nrmm/spot-checks", json={**base, "machine_id": world["machines"][OURS]}, headers=ours)
    assert ok.status_code == 201 and ok.get_json()["violations"] == ["exceeding"]


def test_a_township_registers_machines_only_at_its_own_sites(client, auth_headers, world):
    ours = auth_headers("township", township="巴公镇")
    for extra in ({"site_id": world["sites"][THEIRS]}, {}, {"site_id": 999999}):
        r = client.post("/api/v1/nrmm/machines", json={**M, "pin": "NEW-PIN-1", **extra}, headers=ours)
        assert r.status_code == 422 and "site_id" in r.get_json()["error"]["fields"], r.get_json()
    r = client.post(
        "/api/v1/nrmm/machines", json={**M, "pin": "NEW-PIN-1", "site_id": world["sites"][OURS]}, headers=ours
    )
    assert r.status_code == 201


def test_plan_items_of_another_township_are_404_and_checked_items_stay_checked(client, auth_headers, world):
    ours = auth_headers("township", township="巴公镇")
    url = "/api/v1/nrmm/sampling-plans/items/{}/not-found"
    theirs = client.post(url.format(world["items"][THEIRS]), headers=ours)
    missing = client.post(url.format(999999), headers=ours)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_json()["error"]["code"] == missing.get_json()["error"]["code"]
    env = world["env"]
    # The other township's machine was spot-checked in the fixture: its item is checked for good.
    for headers in (env, auth_headers("housing")):
        r = client.post(url.format(world["items"][THEIRS]), headers=headers)
        assert r.status_code == 409 and "status" in r.get_json()["error"]["fields"]
    statuses = {
        i["id"]: i["status"] for i in client.get("/api/v1/nrmm/sampling-plans/2019-11", headers=env).get_json()["items"]
    }
    assert statuses[world["items"][THEIRS]] == "checked"
    # Our own pending item: not found, and a retry changes nothing.
    for _ in range(2):
        r = client.post(url.format(world["items"][OURS]), headers=ours)
        assert r.status_code == 200 and r.get_json()["status"] == "not_found"


def test_the_page_cannot_overwrite_a_checked_item(client, app, world):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    services.create_user(
        UserIn(username="u-environment", password="long-enough-pass-1", department=Department("environment")),
        actor=SYSTEM,
    )
    transaction.commit()
    page = app.test_client()
    page.post("/login", data={"username": "u-environment", "password": "long-enough-pass-1"})
    r = page.post(f"/ops/nrmm/plan/items/{world['items'][THEIRS]}/not-found", follow_redirects=True)
    assert r.status_code == 409, r.status_code  # refused: the page is drawn again with the reason
    assert "该机械已完成抽测，不能再记为现场未找到" in r.get_data(as_text=True)
    env = world["env"]
    statuses = {
        i["id"]: i["status"] for i in client.get("/api/v1/nrmm/sampling-plans/2019-11", headers=env).get_json()["items"]
    }
    assert statuses[world["items"][THEIRS]] == "checked"
