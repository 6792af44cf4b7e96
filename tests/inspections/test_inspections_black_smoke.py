"""Black-smoke camera captures wait for review; only confirmed ones count (audited, emitted, listened)."""

from __future__ import annotations

import base64
from typing import Any

import pytest


@pytest.fixture
def capture(client: Any, auth_headers: Any, station_factory: Any) -> Any:
    station_factory("JC-BS-01", "black_smoke")

    def post(capture_id: str = "C1", grade: int = 3, **over: Any) -> Any:
        body = {
            "capture_id": capture_id,
            "captured_at": "2019-11-06T07:30:00+08:00",
            "site": "G207 巴公段",
            "plate": "晋E12345",
            "plate_color": "yellow",
            "ringelmann": grade,
            "photos": [{"name": "smoke.jpg", "content_base64": base64.b64encode(b"\xff\xd8\xffsmoke").decode()}],
            **over,
        }
        return client.post(
            "/api/v1/black-smoke/captures", json=body, headers=auth_headers("station", station="JC-BS-01")
        )

    return post


def test_capture_review_flow(app: Any, capture: Any, client: Any, auth_headers: Any, vehicle_factory: Any) -> None:
    from sqlalchemy import select

    from vehicle_enforce import signals
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    vid = vehicle_factory()
    got: list[Any] = []
    with signals.verdicts_stored.connected_to(lambda _sender, verdicts: got.extend(verdicts)):
        first = capture("C1").get_json()
        assert (first["review_status"], first["verdict"], first["vehicle_id"]) == ("pending", "exceed", vid)
        assert got == []  # pending captures count toward nothing
        assert capture("C1").get_json()["duplicate"] is True
        capture("C2", grade=2)
        env = auth_headers("environment")
        queue = client.get("/api/v1/black-smoke/captures?review_status=pending", headers=env).get_json()
        assert [c["capture_id"] for c in queue["results"]] == ["C1", "C2"]
        url = f"/api/v1/black-smoke/captures/{first['id']}/review"
        assert client.post(url, json={"decision": "confirm"}, headers=auth_headers("police")).status_code == 403
        res = client.post(url, json={"decision": "confirm", "note": "黑烟明显"}, headers=env)
        assert res.status_code == 200 and res.get_json()["review_status"] == "confirmed"
        assert client.post(url, json={"decision": "confirm"}, headers=env).status_code == 200  # retry: no change
        assert client.post(url, json={"decision": "reject"}, headers=env).status_code == 409
    assert [(e.source, e.record_id, e.vehicle_id, e.verdict) for e in got] == [
        ("black_smoke", first["id"], vid, "exceed")
    ]
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "black_smoke_capture")).all()
    assert sorted(actions) == ["black_smoke.capture", "black_smoke.capture", "black_smoke.confirmed"]
    detail = client.get(f"/api/v1/black-smoke/captures/{first['id']}", headers=auth_headers("police")).get_json()
    assert [p["name"] for p in detail["photos"]] == ["smoke.jpg"]


def test_rejected_capture_never_counts(
    app: Any, capture: Any, client: Any, auth_headers: Any, vehicle_factory: Any
) -> None:
    from vehicle_enforce import signals

    vehicle_factory()
    got: list[Any] = []
    with signals.verdicts_stored.connected_to(lambda _sender, verdicts: got.extend(verdicts)):
        cid = capture("C9").get_json()["id"]
        res = client.post(
            f"/api/v1/black-smoke/captures/{cid}/review",
            json={"decision": "reject"},
            headers=auth_headers("environment"),
        )
    assert res.get_json()["review_status"] == "rejected" and got == []


def test_capture_validation(capture: Any) -> None:
    assert capture("C3", grade=6).status_code == 422
    assert capture("C4", captured_at="2019-11-06 07:30").status_code == 422
