"""POST/GET remote-sensing passes: batches, retries, station scope, plates, photos and listings."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

JPEG = b"\xff\xd8\xff\xe0" + b"evidence-photo-bytes"


def _count(model: Any) -> int:
    from vehicle_enforce.extensions import db

    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_batch_reports_bad_items_by_index_and_stores_the_rest(base_pass: Any, app: Any, post_passes: Any) -> None:
    from vehicle_enforce.inspections.models import RemoteSensingPass

    body = {
        "passes": [
            base_pass(record_id="1"),
            base_pass(record_id="2", speed_kmh="fast"),
            base_pass(record_id="3", measured_at="2019-11-05 10:00:00"),
            base_pass(record_id="4", opacity_pct=40.0),
        ]
    }
    res = post_passes(body)
    assert res.status_code == 201
    results = res.get_json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[1]["error"]["field"] == "speed_kmh"
    assert results[2]["error"]["field"] == "measured_at"
    assert results[0]["verdict"] == "pass" and results[3]["verdict"] == "exceed"
    assert _count(RemoteSensingPass) == 2


def test_retried_batch_returns_same_results_marked_duplicate(base_pass: Any, app: Any, post_passes: Any) -> None:
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.inspections.models import RemoteSensingPass

    body = {"passes": [base_pass(record_id=str(i), opacity_pct=25.0 + i) for i in range(10)]}
    first = post_passes(body).get_json()["results"]
    audits = _count(AuditEntry)
    again = post_passes(body)
    assert again.status_code == 200
    second = again.get_json()["results"]
    assert _count(RemoteSensingPass) == 10
    assert _count(AuditEntry) == audits  # a pure retry records nothing new
    assert all(not r["duplicate"] for r in first) and all(r["duplicate"] for r in second)
    assert {r["status"] for r in first} == {"created"} and {r["status"] for r in second} == {"duplicate"}
    same = [{**r, "duplicate": None, "status": None} for r in first]
    assert same == [{**r, "duplicate": None, "status": None} for r in second]


def test_same_record_twice_in_one_batch_is_stored_once(base_pass: Any, app: Any, post_passes: Any) -> None:
    from vehicle_enforce.inspections.models import RemoteSensingPass

    a, b = post_passes({"passes": [base_pass(record_id="X"), base_pass(record_id="X")]}).get_json()["results"]
    assert a["id"] == b["id"] and not a["duplicate"] and b["duplicate"]
    assert _count(RemoteSensingPass) == 1


def test_station_token_may_post_only_for_its_station(
    base_pass: Any, app: Any, post_passes: Any, station_factory: Any, auth_headers: Any
) -> None:
    from vehicle_enforce.inspections.models import RemoteSensingPass

    station_factory("JC-RS-02", "remote_sensing")
    for station in ("JC-RS-02", "NOWHERE"):
        res = post_passes({"passes": [base_pass(record_id="ok"), base_pass(record_id="x", station=station)]})
        assert res.status_code == 403
        assert res.get_json()["error"]["code"] == "forbidden"
    assert _count(RemoteSensingPass) == 0
    # The environment department may post for any station; an unknown one is a per-item error.
    res = post_passes(
        {"passes": [base_pass(record_id="e1", station="JC-RS-02"), base_pass(record_id="e2", station="NOWHERE")]},
        headers=auth_headers("environment"),
    )
    ok, bad = res.get_json()["results"]
    assert ok["station"] == "JC-RS-02" and bad["status"] == "invalid"
    assert (bad["error"]["field"], bad["error"]["code"]) == ("station", "unknown_station")


def test_access_is_checked_before_the_body(base_pass: Any, client: Any, auth_headers: Any) -> None:
    assert client.post("/api/v1/remote-sensing/passes", data="not json").status_code == 401
    res = client.post("/api/v1/remote-sensing/passes", json=base_pass(), headers=auth_headers("police"))
    assert res.status_code == 403


def test_single_bad_pass_is_a_422_naming_the_field(base_pass: Any, post_passes: Any) -> None:
    res = post_passes(base_pass(plate_confidence=1.5))
    assert res.status_code == 422
    assert res.get_json()["error"]["fields"] == {"plate_confidence": "must be between 0 and 1"}


def test_future_times_refused_backfills_accepted(base_pass: Any, app: Any, post_passes: Any) -> None:
    from vehicle_enforce.core.timeutil import now_utc

    soon = (now_utc() + timedelta(minutes=9)).isoformat()
    later = (now_utc() + timedelta(minutes=11)).isoformat()
    old = "2019-06-01T08:00:00+08:00"
    results = post_passes(
        {
            "passes": [
                base_pass(record_id="a", measured_at=soon),
                base_pass(record_id="b", measured_at=later),
                base_pass(record_id="c", measured_at=old),
            ]
        }
    ).get_json()["results"]
    assert results[0]["verdict"] == "pass"
    assert results[1]["status"] == "invalid"
    assert (results[1]["error"]["field"], results[1]["error"]["code"]) == ("measured_at", "future")
    assert results[2]["verdict"] == "pass"


def test_batch_limits(base_pass: Any, post_passes: Any) -> None:
    assert post_passes({"passes": []}).status_code == 422
    assert post_passes({"passes": [base_pass()] * 10_001}).status_code == 413
    assert post_passes({"passes": [base_pass()], "extra": 1}).status_code == 422


def test_plates_match_ambiguous_stay_unlinked_unread_is_pending(
    base_pass: Any, app: Any, post_passes: Any, vehicle_factory: Any
) -> None:
    exact = vehicle_factory("晋E12345", "yellow")
    vehicle_factory("晋E8B001", "yellow")
    vehicle_factory("晋E88001", "yellow")  # 8/B confusion: a read of either could be both
    body = {
        "passes": [
            base_pass(record_id="1", plate="晋E12345"),
            base_pass(record_id="2", plate="晋E8800l", plate_color="yellow"),
            base_pass(record_id="3", plate="无车牌", plate_color="unknown", opacity_pct=50.0),
            base_pass(record_id="4", plate="京A99999", plate_color="blue"),
        ]
    }
    r1, r2, r3, r4 = post_passes(body).get_json()["results"]
    assert (r1["vehicle_id"], r1["match_decision"], r1["plate_status"]) == (exact, "exact", "matched")
    assert r2["vehicle_id"] is None and r2["plate_status"] in {"ambiguous", "unregistered"}
    assert (r3["verdict"], r3["plate_status"], r3["vehicle_id"]) == ("exceed", "pending", None)
    assert (r4["match_decision"], r4["plate_status"]) == ("none", "unregistered")


def test_verdict_listeners_get_linked_passes_in_one_call(
    base_pass: Any, app: Any, post_passes: Any, vehicle_factory: Any
) -> None:
    from vehicle_enforce import signals

    vid = vehicle_factory()
    calls: list[list[Any]] = []
    with signals.verdicts_stored.connected_to(lambda _sender, verdicts: calls.append(verdicts)):
        post_passes(
            {
                "passes": [
                    base_pass(record_id="1", opacity_pct=50.0),
                    base_pass(record_id="2", speed_kmh=1.0),
                    base_pass(record_id="3", plate=""),
                ]
            }
        )
        post_passes({"passes": [base_pass(record_id="1", opacity_pct=50.0)]})  # duplicate: no new verdict
    assert len(calls) == 1
    assert [(e.source, e.vehicle_id, e.verdict, e.valid) for e in calls[0]] == [
        ("remote_sensing", vid, "exceed", True),
        ("remote_sensing", vid, "invalid", False),
    ]


def test_listener_failure_rolls_the_batch_back(
    base_pass: Any, app: Any, post_passes: Any, vehicle_factory: Any
) -> None:
    from vehicle_enforce import signals
    from vehicle_enforce.inspections.models import RemoteSensingPass

    vehicle_factory()

    def broken(_events: Any) -> None:
        raise RuntimeError("listener failed")

    with signals.verdicts_stored.connected_to(lambda _sender, verdicts: broken(verdicts)):
        assert post_passes(base_pass()).status_code == 500
    from vehicle_enforce.extensions import db

    db.session.rollback()  # what the request teardown does; the test shares the app context
    assert _count(RemoteSensingPass) == 0


def test_photos_stored_content_addressed_readable_by_environment_and_police(
    base_pass: Any, app: Any, post_passes: Any, client: Any, auth_headers: Any
) -> None:
    from vehicle_enforce.inspections.models import EvidenceFile

    photo = {"name": "plate.jpg", "content_base64": base64.b64encode(JPEG).decode()}
    res = post_passes(
        {"passes": [base_pass(record_id="p1", photos=[photo]), base_pass(record_id="p2", photos=[photo])]}
    )
    first = res.get_json()["results"][0]
    assert _count(EvidenceFile) == 1  # same bytes, one file
    detail = client.get(f"/api/v1/remote-sensing/passes/{first['id']}", headers=auth_headers("police")).get_json()
    assert [p["name"] for p in detail["photos"]] == ["plate.jpg"]
    url = detail["photos"][0]["url"]
    got = client.get(url, headers=auth_headers("environment"))
    assert got.status_code == 200 and got.data == JPEG and got.mimetype == "image/jpeg"
    assert client.get(url, headers=auth_headers("transport")).status_code == 403
    assert client.get(url, headers=auth_headers("station", station="JC-RS-01")).status_code == 403
    bad = post_passes(base_pass(record_id="p3", photos=[{"name": "x.jpg", "content_base64": "%%%"}]))
    assert bad.status_code == 422


def test_multipart_photos(base_pass: Any, app: Any, client: Any, auth_headers: Any, rs_station: Any) -> None:
    import io
    import json

    data = {
        "data": json.dumps({"passes": [base_pass(record_id="m1")]}),
        "photos.0": (io.BytesIO(JPEG), "m1_plate.jpg"),
    }
    res = client.post(
        "/api/v1/remote-sensing/passes",
        data=data,
        content_type="multipart/form-data",
        headers=auth_headers("station", station="JC-RS-01"),
    )
    assert res.status_code == 201, res.get_json()
    pid = res.get_json()["results"][0]["id"]
    detail = client.get(f"/api/v1/remote-sensing/passes/{pid}", headers=auth_headers("environment")).get_json()
    assert [p["name"] for p in detail["photos"]] == ["m1_plate.jpg"]


def test_listing_filters_and_cursor(base_pass: Any, app: Any, post_passes: Any, client: Any, auth_headers: Any) -> None:
    passes = [
        base_pass(
            record_id=f"L{i}", opacity_pct=50.0 if i % 2 else 10.0, measured_at=f"2019-11-0{i + 1}T09:00:00+08:00"
        )
        for i in range(6)
    ]
    post_passes({"passes": passes})
    h = auth_headers("police")
    seen: list[str] = []
    url = "/api/v1/remote-sensing/passes?limit=4"
    while url:
        page = client.get(url, headers=h).get_json()
        seen += [r["record_id"] for r in page["results"]]
        url = f"/api/v1/remote-sensing/passes?limit=4&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == [f"L{i}" for i in range(6)]

    def ids(query: str) -> list[str]:
        res = client.get(f"/api/v1/remote-sensing/passes?{query}", headers=h)
        assert res.status_code == 200, res.get_json()
        return [r["record_id"] for r in res.get_json()["results"]]

    assert ids("verdict=exceed") == ["L1", "L3", "L5"]
    assert ids("since=2019-11-03T00:00:00%2B08:00&until=2019-11-05") == ["L2", "L3", "L4"]
    assert ids("plate=晋E·12345&plate_color=yellow&station=JC-RS-01&record_id=L2") == ["L2"]
    assert ids("plate_color=blue") == []
    assert client.get("/api/v1/remote-sensing/passes?limit=1001", headers=h).status_code == 422
    assert client.get("/api/v1/remote-sensing/passes?cursor=zzz", headers=h).status_code == 422
    assert client.get("/api/v1/remote-sensing/passes?verdict=maybe", headers=h).status_code == 422


def test_station_callers_see_only_their_station(
    base_pass: Any, app: Any, post_passes: Any, client: Any, auth_headers: Any, station_factory: Any
) -> None:
    station_factory("JC-RS-02", "remote_sensing")
    post_passes({"passes": [base_pass(record_id="own")]})
    post_passes({"passes": [base_pass(record_id="other", station="JC-RS-02")]}, headers=auth_headers("environment"))
    mine = client.get("/api/v1/remote-sensing/passes", headers=auth_headers("station", station="JC-RS-01"))
    assert [r["record_id"] for r in mine.get_json()["results"]] == ["own"]
    other_id = client.get("/api/v1/remote-sensing/passes?record_id=other", headers=auth_headers("police")).get_json()
    pid = other_id["results"][0]["id"]
    assert (
        client.get(
            f"/api/v1/remote-sensing/passes/{pid}", headers=auth_headers("station", station="JC-RS-01")
        ).status_code
        == 404
    )


@pytest.mark.commits
def test_concurrent_retries_store_each_pass_once(
    app: Any, backend: Any, rs_station: Any, base_pass: Any, vehicle_factory: Any
) -> None:
    """Two sessions post the same batch at once (real threads on PostgreSQL): nothing is stored twice."""
    import threading

    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.inspections import passes
    from vehicle_enforce.inspections.models import RemoteSensingPass

    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    vehicle_factory()
    batch = [base_pass(record_id=f"C{i}", opacity_pct=float(i % 60)) for i in range(300)]
    barrier = threading.Barrier(2)
    answers: list[list[dict[str, Any]]] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            with app.app_context():
                items = [passes.parse_pass(i, p) for i, p in enumerate(batch)]
                barrier.wait()
                answers.append(passes.store_passes(items, actor=actors.system("test")))
                transaction.commit()
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _count(RemoteSensingPass) == 300
    first, second = answers
    assert [r["id"] for r in first] == [r["id"] for r in second]
    assert all(a["duplicate"] != b["duplicate"] for a, b in zip(first, second, strict=True))


def test_one_bad_item_never_sinks_the_batch(base_pass: Any, app: Any, post_passes: Any) -> None:
    """Over-long ids, NUL bytes and bidi marks are invalid items naming the field; the rest is stored
    (it used to be a 500 that stored nothing, and the station's retry failed the same way forever)."""
    from vehicle_enforce.inspections.models import RemoteSensingPass

    body = {
        "passes": [
            base_pass(record_id="ok"),
            base_pass(record_id="x" * 65),
            base_pass(record_id="nul", plate="晋E1\x002345"),
            base_pass(record_id="bidi", plate="晋E\u202e54321"),
            base_pass(record_id="long-fuel", fuel="d" * 17),
            base_pass(record_id=20191105000001, lane=1),  # ids and lanes sent as numbers
            base_pass(record_id="impossible", opacity_pct=180.0),
        ]
    }
    res = post_passes(body)
    assert res.status_code == 201
    results = res.get_json()["results"]
    assert [r["status"] for r in results] == ["created", "invalid", "invalid", "invalid", "invalid"] + ["created"] * 2
    assert [(r["error"]["field"], r["error"]["code"]) for r in results[1:5]] == [
        ("record_id", "too_long"),
        ("plate", "control_character"),
        ("plate", "bidi_character"),
        ("fuel", "too_long"),
    ]
    assert all(r["error"]["message"] for r in results[1:5])
    assert results[5]["record_id"] == "20191105000001"
    assert (results[6]["verdict"], results[6]["invalid_reasons"]) == ("invalid", ["implausible"])
    assert _count(RemoteSensingPass) == 3

    all_bad = post_passes(
        {"passes": [base_pass(record_id="y" * 70), base_pass(measured_at="0001-01-01T00:00:00+08:00")]}
    )
    assert all_bad.status_code == 422
    answer = all_bad.get_json()
    assert answer["error"]["code"] == "invalid" and [r["status"] for r in answer["results"]] == ["invalid"] * 2
    single = post_passes(base_pass(record_id="z" * 70))
    assert single.status_code == 422 and "record_id" in single.get_json()["error"]["fields"]
    assert _count(RemoteSensingPass) == 3
