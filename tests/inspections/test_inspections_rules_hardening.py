"""A rules book can never be broken, and a change can be withdrawn before it takes effect (#26)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

RS = "HJ845-2017 remote sensing"


def _day(offset: int) -> str:
    from vehicle_enforce.core.timeutil import local_day, now_utc

    return (local_day(now_utc()) + timedelta(days=offset)).isoformat()


def _post(client: Any, headers: Any, document: dict[str, Any], offset: int = 1) -> Any:
    body = {"effective_from": _day(offset), "document": document, "note": "测试"}
    return client.post("/api/v1/rules/changes", json=body, headers=headers)


@pytest.mark.parametrize(
    "document",
    [
        {"limit_sets": [{"name": RS, "limits": {"remote_sensing": {"opacity": 0}}}]},
        {"limit_sets": [{"name": RS, "limits": {"remote_sensing": {"opacity": -5}}}]},
        {"limit_sets": [{"name": RS, "limits": {"remote_sensing": {"opacity": None}}}]},
        {"limit_sets": [{"name": RS, "limits": {"remote_sensing": {"opacity": 1e300}}}]},
        {"limit_sets": [{"name": RS, "limits": {"remote_sensing": {"opacity": "30"}}}]},
        {"limit_sets": [{"name": RS, "limits": {"remote_sensing": {"ringelmann": 6}}}]},
        {"blacklist": {"min_exceeding_passes": 0}},
        {"blacklist": {"min_exceeding_passes": 1.5}},
        {"blacklist": {"window_days": 0}},
        {"blacklist": {"window_days": 731}},
        {"blacklist": {"distinct_days": "no"}},
        {"validity": {"remote_sensing": {"ranges": {"speed": {"min": 200}}}}},
        {"validity": {"remote_sensing": {"ranges": {"speed": {"max": None, "min": 1e9}}}}},
        {"nrmm": [{"name": "GB36886-2018", "k": {"II": [2.0, 0, 0.8]}}]},
        {"nrmm": [{"name": "GB36886-2018", "power_bands_kw": [37, 19]}]},
        {"obd": {"readiness_incomplete": "maybe"}},
        {"limit_sets": ["not an object"]},
        {},
    ],
)
def test_a_change_that_would_break_the_book_is_refused(client: Any, auth_headers: Any, document: Any) -> None:
    from vehicle_enforce.inspections.models import RuleChange

    res = _post(client, auth_headers("environment"), document)
    assert res.status_code == 422, res.get_json()
    assert "document" in res.get_json()["error"]["fields"]
    assert client.get("/api/v1/rules/changes", headers=auth_headers("police")).get_json()["results"] == []
    from vehicle_enforce.extensions import db

    assert db.session.query(RuleChange).count() == 0


def test_the_book_is_checked_on_every_later_day_it_will_judge(client: Any, auth_headers: Any) -> None:
    """A new set (day +2) refined later (day +3): withdrawing the new set would leave the refinement
    without limits, so the withdrawal is refused; withdrawing the refinement first works."""
    env = auth_headers("environment")
    full = {"name": "本市加严", "standard": "local", "effective_from": "2019-01-01", "limits": {"lug_down": {"k": 0.5}}}
    created = _post(client, env, {"limit_sets": [full]}, offset=2)
    assert created.status_code == 201, created.get_json()
    refined = _post(client, env, {"limit_sets": [{"name": "本市加严", "limits": {"lug_down": {"nox_ppm": 800}}}]}, 3)
    assert refined.status_code == 201, refined.get_json()
    # A change between them cannot break the later day either.
    middle = _post(client, env, {"limit_sets": [{"name": "本市加严", "limits": {"lug_down": {"k": -1}}}]}, 2)
    assert middle.status_code == 422
    first_id, second_id = created.get_json()["id"], refined.get_json()["id"]
    refused = client.post(f"/api/v1/rules/changes/{first_id}/withdraw", headers=env)
    assert refused.status_code == 422, refused.get_json()
    assert client.post(f"/api/v1/rules/changes/{second_id}/withdraw", headers=env).status_code == 200
    assert client.post(f"/api/v1/rules/changes/{first_id}/withdraw", headers=env).status_code == 200


def test_a_change_can_be_withdrawn_before_it_takes_effect_only(app: Any, client: Any, auth_headers: Any) -> None:
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    env = auth_headers("environment")
    stricter = {"limit_sets": [{"name": RS, "limits": {"remote_sensing": {"opacity": 20}}}]}
    future = _post(client, env, stricter, offset=5).get_json()
    today = _post(client, env, {"blacklist": {"window_days": 90}}, offset=0).get_json()

    assert (
        client.post(f"/api/v1/rules/changes/{future['id']}/withdraw", headers=auth_headers("police")).status_code == 403
    )
    done = client.post(f"/api/v1/rules/changes/{future['id']}/withdraw", headers=env)
    assert done.status_code == 200 and done.get_json()["withdrawn_by"]
    again = client.post(f"/api/v1/rules/changes/{future['id']}/withdraw", headers=env)
    assert again.status_code == 200  # a retried withdrawal changes nothing
    on_day = client.get(f"/api/v1/rules?on={_day(5)}", headers=env).get_json()["rules"]
    opacity = {s["name"]: s for s in on_day["limit_sets"]}[RS]["limits"]["remote_sensing"]["opacity"]
    assert opacity == 30  # the withdrawn change never applies
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rules.withdraw")) is not None

    in_force = client.post(f"/api/v1/rules/changes/{today['id']}/withdraw", headers=env)
    assert in_force.status_code == 409
    assert client.post("/api/v1/rules/changes/2147483647/withdraw", headers=env).status_code == 404


def test_rules_page_refuses_non_finite_and_out_of_range_numbers(app: Any, make_page_user: Any) -> None:
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import RuleChange

    client = make_page_user("environment")
    for value in ("inf", "nan", "-1", "0", "1e100"):
        res = client.post(
            "/ops/rules/changes",
            data={
                "section": "limits",
                "set_name": RS,
                "limit|remote_sensing|opacity": value,
                "reason": "测试",
                "effective_from": _day(1),
            },
            follow_redirects=True,
        )
        assert res.status_code == 422 and '<div class="flash error">' in res.get_data(as_text=True), value
    for days in ("0", "731", "nan"):
        res = client.post(
            "/ops/rules/changes",
            data={"section": "listing", "min_exceeding_passes": "2", "window_days": days, "reason": "测试"}
            | {"effective_from": _day(1)},
            follow_redirects=True,
        )
        assert '<div class="flash error">' in res.get_data(as_text=True), days
    assert db.session.query(RuleChange).count() == 0
    assert client.get("/ops/rules/").status_code == 200


@pytest.fixture
def make_page_user(app: Any) -> Any:
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    def make(department: str) -> Any:
        services.create_user(
            UserIn(username=f"rules-{department}", password="rules-page-pass-1", department=Department(department)),
            actor=SYSTEM,
        )
        transaction.commit()
        client = app.test_client()
        client.post("/login", data={"username": f"rules-{department}", "password": "rules-page-pass-1"})
        return client

    return make
