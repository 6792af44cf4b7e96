"""Rules and limits are viewable by all readers, changeable only by the environment department, dated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def test_view_rules(client: Any, auth_headers: Any) -> None:
    res = client.get("/api/v1/rules?on=2019-11-05", headers=auth_headers("police"))
    assert res.status_code == 200
    names = [s["name"] for s in res.get_json()["rules"]["limit_sets"]]
    assert "GB3847-2018 limit b" in names


def test_change_rules_environment_only_audited_and_dated(
    app: Any, client: Any, auth_headers: Any, rs_station: Any, base_pass: Any
) -> None:
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.core.timeutil import local_day, now_utc
    from vehicle_enforce.extensions import db

    tomorrow = local_day(now_utc()) + timedelta(days=1)
    change = {
        "effective_from": tomorrow.isoformat(),
        "document": {
            "limit_sets": [
                {
                    "name": "HJ845-2017 remote sensing",
                    "limits": {"remote_sensing": {"opacity": 20, "ringelmann": 1, "no": 1500}},
                }
            ]
        },
        "note": "市局通知：不透光度限值收紧",
    }
    assert client.post("/api/v1/rules/changes", json=change, headers=auth_headers("police")).status_code == 403
    res = client.post("/api/v1/rules/changes", json=change, headers=auth_headers("environment"))
    assert res.status_code == 201, res.get_json()
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rules.change")) is not None
    day_before = client.get(f"/api/v1/rules?on={local_day(now_utc()).isoformat()}", headers=auth_headers("police"))
    from_day = client.get(f"/api/v1/rules?on={tomorrow.isoformat()}", headers=auth_headers("police"))

    def opacity(res: Any) -> float:
        sets = {s["name"]: s for s in res.get_json()["rules"]["limit_sets"]}
        return float(sets["HJ845-2017 remote sensing"]["limits"]["remote_sensing"]["opacity"])

    assert (opacity(day_before), opacity(from_day)) == (30.0, 20.0)
    # Today's passes keep today's limit: 25 % passes under 30 % (it would exceed the coming 20 %).
    today = local_day(now_utc()).isoformat()
    res = client.post(
        "/api/v1/remote-sensing/passes",
        json=base_pass(record_id="o", opacity_pct=25.0, measured_at=f"{today}T00:00:00+08:00"),
        headers=auth_headers("environment"),
    )
    assert res.get_json()["results"][0]["verdict"] == "pass"
    listed = client.get("/api/v1/rules/changes", headers=auth_headers("transport")).get_json()
    assert [c["note"] for c in listed["results"]] == ["市局通知：不透光度限值收紧"]


def test_change_cannot_reach_into_the_past_or_break_the_rules(client: Any, auth_headers: Any) -> None:
    env = auth_headers("environment")
    past = client.post("/api/v1/rules/changes", json={"effective_from": "2019-01-01", "document": {}}, headers=env)
    assert past.status_code == 422 and "effective_from" in past.get_json()["error"]["fields"]
    broken = client.post(
        "/api/v1/rules/changes",
        json={"effective_from": "2999-01-01", "document": {"limit_sets": [{"name": "new", "limits": {}}]}},
        headers=env,
    )
    assert broken.status_code == 422
