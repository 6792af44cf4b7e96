"""Identical idempotent posts in parallel: one 201, the rest 200 (or 409) with the same record, never a
500 (the hardening issue, #26). Real threads on PostgreSQL, where writers really overlap."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

# Real threads, each with its own connection: the posts commit for real.
pytestmark = pytest.mark.commits

PARALLEL = 10
WHEN = "2019-11-05T10:00:00+08:00"


def _parallel(app: Any, method: Callable[[Any], Any]) -> list[Any]:
    barrier = threading.Barrier(PARALLEL)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            client = app.test_client()
            barrier.wait()
            res = method(client)
            answers.append((res.status_code, res.get_json()))
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return answers


def _one_created(answers: list[Any], record_id: Callable[[Any], Any]) -> None:
    codes = sorted(code for code, _ in answers)
    assert codes.count(201) == 1, codes
    assert set(codes) <= {200, 201, 409}, codes
    ids = {record_id(body) for code, body in answers if code in (200, 201)}
    assert len(ids) == 1, ids


@pytest.fixture
def pg_only(backend: Any) -> None:
    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")


def _test_body(**over: Any) -> dict[str, Any]:
    return {
        "report_number": "RACE-1",
        "kind": "roadside",
        "method": "free_acceleration",
        "tested_at": WHEN,
        "plate": "晋E12345",
        "plate_color": "yellow",
        "readings": {"k_readings": [0.3, 0.3, 0.3]},
        **over,
    }


CAPTURE = {"capture_id": "CAP-RACE", "captured_at": WHEN, "plate": "晋E12345", "plate_color": "yellow", "ringelmann": 2}
REPAIR = {
    "repair_number": "M-RACE",
    "repaired_at": WHEN,
    "plate": "晋E12345",
    "plate_color": "yellow",
    "items": ["DPF"],
}


def _pass_body() -> dict[str, Any]:
    from tests.inspections.conftest import _base_pass

    return _base_pass()


#: What a station posts: (its station code and kind, the route, the body).
POSTS: dict[str, tuple[str, str, str, Callable[[], dict[str, Any]]]] = {
    "roadside_test": ("JC-RD-01", "roadside", "/api/v1/roadside-tests", _test_body),
    "black_smoke_capture": ("JC-BS-01", "black_smoke", "/api/v1/black-smoke/captures", lambda: CAPTURE),
    "repair": ("JC-M-01", "repair", "/api/v1/repairs", lambda: REPAIR),
    "single_pass": ("JC-RS-01", "remote_sensing", "/api/v1/remote-sensing/passes", _pass_body),
}


@pytest.mark.parametrize("what", sorted(POSTS))
def test_parallel_identical_posts_store_one_record(
    app: Any, pg_only: None, station_factory: Any, auth_headers: Any, what: str
) -> None:
    code, kind, url, body = POSTS[what]
    station_factory(code, kind)
    headers = auth_headers("station", station=code)
    answers = _parallel(app, lambda c: c.post(url, json=body(), headers=headers))
    if what != "single_pass":
        _one_created(answers, lambda b: b["id"])
        return
    _one_created(answers, lambda b: b["results"][0]["id"])
    assert sorted(b["results"][0]["status"] for _, b in answers) == ["created"] + ["duplicate"] * (PARALLEL - 1)


def test_parallel_gate_records(app: Any, pg_only: None, auth_headers: Any) -> None:
    from vehicle_enforce.alerts.models import GateRecord
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner

    owner = Owner(kind="enterprise", name="泽州县某焦化厂")
    db.session.add(owner)
    transaction.commit()
    headers = auth_headers("environment")
    rows = [{"plate": f"晋E1111{i}", "direction": "in", "at": WHEN, "emission_standard": 4} for i in range(5)]
    body = {"owner_id": owner.id, "records": rows}
    answers = _parallel(app, lambda c: c.post("/api/v1/alerts/gate-records", json=body, headers=headers))
    codes = sorted(code for code, _ in answers)
    assert codes == [200] * (PARALLEL - 1) + [201] or set(codes) <= {200, 201}, codes
    assert sum(b["stored"] for _, b in answers) == 5
    assert 500 not in codes
    db.session.expire_all()
    assert db.session.query(GateRecord).count() == 5


def test_conflicting_resends_are_409_not_duplicates(client: Any, station_factory: Any, auth_headers: Any) -> None:
    """The same key with other content: a pass, a capture, a repair answer conflict and keep the first."""
    from tests.inspections.conftest import _base_pass

    station_factory("JC-RS-01", "remote_sensing")
    station_factory("JC-BS-01", "black_smoke")
    station_factory("JC-M-01", "repair")
    rs = auth_headers("station", station="JC-RS-01")
    assert client.post("/api/v1/remote-sensing/passes", json=_base_pass(), headers=rs).status_code == 201
    # The same pass, numbers sent in another spelling, is a retry.
    retry = client.post("/api/v1/remote-sensing/passes", json=_base_pass(lane=1, speed_kmh=50), headers=rs)
    assert retry.status_code == 200 and retry.get_json()["results"][0]["status"] == "duplicate"
    other = client.post("/api/v1/remote-sensing/passes", json=_base_pass(opacity_pct=80.0), headers=rs)
    assert other.status_code == 409
    batch = client.post(
        "/api/v1/remote-sensing/passes",
        json={"passes": [_base_pass(opacity_pct=80.0), _base_pass(record_id="R2")]},
        headers=rs,
    )
    assert batch.status_code == 201
    first, second = batch.get_json()["results"]
    assert first["status"] == "conflict" and first["error"]["code"] == "conflict"
    assert second["status"] == "created"

    resends = (("black_smoke_capture", "ringelmann", 4, "capture_id"), ("repair", "items", ["EGR"], "repair_number"))
    for what, field, value, key in resends:
        code, _kind, url, body = POSTS[what]
        headers = auth_headers("station", station=code)
        assert client.post(url, json=body(), headers=headers).status_code == 201
        assert client.post(url, json=body(), headers=headers).status_code == 200
        changed = client.post(url, json={**body(), field: value}, headers=headers)
        assert changed.status_code == 409, what
        assert set(changed.get_json()["error"]["fields"]) == {key}
