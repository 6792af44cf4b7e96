"""Police hotlist checks (single and batch, misread-tolerant, recorded) and the change feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.blacklist.conftest import NOV, OFFICERS


@pytest.fixture
def listed_vehicle(vehicle, post_pass):
    vid = vehicle("晋E12345")
    post_pass("晋E12345", f"{NOV}-01T10:00:00+08:00")
    post_pass("晋E12345", f"{NOV}-02T10:00:00+08:00")
    vehicle("晋E1234B")  # a clean vehicle one real substitution away
    return vid


def test_single_check_exact_probable_and_miss(listed_vehicle, client, auth_headers):
    police = auth_headers("police")
    r = client.get("/api/v1/hotlist/check?plate=晋E12345&plate_color=yellow&reason=卡口检查", headers=police)
    body = r.get_json()
    assert r.status_code == 200 and body["hit"] == "exact"
    assert body["entry"]["reason"].startswith("180天内") and body["case"]["state"] == "detected"
    # Evidence not yet confirmed by the environment bureau: police record the sighting and report it.
    assert (body["action"], body["severity"]) == ("record_and_report", 1)
    # A camera misread (S for 5) is a probable hit, flagged so the officer checks the plate.
    body = client.get(
        "/api/v1/hotlist/check?plate=晋E1234S&plate_color=yellow&reason=卡口检查", headers=police
    ).get_json()
    assert body["hit"] == "probable" and body["matched_plate"] == "晋E12345" and body["action"] == "verify_plate"
    body = client.get(
        "/api/v1/hotlist/check?plate=晋E1234B&plate_color=yellow&reason=卡口检查", headers=police
    ).get_json()
    assert body == {**body, "hit": None, "entry": None, "case": None, "action": "none", "severity": 0}


def test_reason_is_required_and_only_police_check(listed_vehicle, client, auth_headers):
    r = client.get("/api/v1/hotlist/check?plate=晋E12345&plate_color=yellow", headers=auth_headers("police"))
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    for dept in ("transport", "environment", "township"):
        r = client.get("/api/v1/hotlist/check?plate=晋E12345&plate_color=yellow&reason=x", headers=auth_headers(dept))
        assert r.status_code == 403


def test_batch_answers_in_input_order_and_every_lookup_is_recorded(listed_vehicle, client, auth_headers):
    reads = [
        {"plate": "晋E00001", "plate_color": "blue"},
        {"plate": "晋E12345", "plate_color": "yellow", "seen_at": "2026-11-28T08:00:00+08:00", "location": "G207卡口"},
        {"plate": "无车牌", "plate_color": "unknown"},
        {"plate": "晋E1234S", "plate_color": "yellow"},  # S/5: the listed truck, misread
    ]
    r = client.post(
        "/api/v1/hotlist/check", json={"reads": reads, "checkpoint": "G207-01"}, headers=auth_headers("police")
    )
    results = r.get_json()["results"]
    assert [x["index"] for x in results] == [0, 1, 2, 3]
    assert [x["status"] for x in results] == ["ok", "ok", "invalid", "ok"]
    assert [x.get("hit") for x in results] == [None, "exact", None, "probable"]
    assert results[2]["error"]["field"] == "reads.2.plate" and "未识别" in results[2]["error"]["message"]
    single = client.get(
        "/api/v1/hotlist/check?plate=晋E12345&plate_color=yellow&reason=核对", headers=auth_headers("police")
    ).get_json()
    for batch_item in (results[1], results[3]):  # a batch answers with the same entry and case as one check
        assert batch_item["entry"] == single["entry"] and batch_item["case"] == single["case"]
    assert results[3]["action"] == "verify_plate" and results[1]["action"] == single["action"]
    from sqlalchemy import select

    from vehicle_enforce.blacklist.models import HotlistLookup, HotlistRead
    from vehicle_enforce.extensions import db

    lookup = db.session.scalars(select(HotlistLookup).where(HotlistLookup.mode == "batch")).one()
    assert (lookup.read_count, lookup.hit_count, lookup.department) == (4, 2, "police")
    assert lookup.reason == "卡口抓拍比对（卡口 G207-01）"
    stored = list(
        db.session.scalars(select(HotlistRead).where(HotlistRead.lookup_id == lookup.id).order_by(HotlistRead.id))
    )
    assert [s.plate for s in stored] == ["晋E00001", "晋E12345", "无车牌", "晋E1234S"]
    assert stored[1].location == "G207卡口" and stored[1].entry_id is not None


def test_batch_limit_and_validation(client, auth_headers, app):
    police = auth_headers("police")
    r = client.post("/api/v1/hotlist/check", json={"reads": [{"plate": "晋E1"}] * 1001}, headers=police)
    assert r.status_code == 422
    r = client.post("/api/v1/hotlist/check", json={"reads": [{"plate_color": "blue"}]}, headers=police)
    assert r.status_code == 422 and "reads.0.plate" in r.get_json()["error"]["fields"]


def test_misses_are_purged_after_retention_but_hits_are_kept(listed_vehicle, client, auth_headers, runner, app):
    old = (datetime.now(UTC) - timedelta(days=45)).isoformat()
    reads = [
        {"plate": "晋E00001", "plate_color": "blue", "seen_at": old},
        {"plate": "晋E12345", "plate_color": "yellow", "seen_at": old},
        {"plate": "晋E00002", "plate_color": "blue"},
    ]
    client.post(
        "/api/v1/hotlist/check", json={"reads": reads, "reason": "卡口抓拍比对"}, headers=auth_headers("police")
    )
    result = runner.invoke(["hotlist", "purge"])
    assert result.exit_code == 0 and "purged 1" in result.output
    from sqlalchemy import select

    from vehicle_enforce.blacklist.models import HotlistRead
    from vehicle_enforce.extensions import db

    assert sorted(db.session.scalars(select(HotlistRead.plate))) == ["晋E00002", "晋E12345"]


def test_change_feed_follows_listings_and_actions_without_repeats(listed_vehicle, client, auth_headers):
    env = auth_headers("environment")
    first = client.get("/api/v1/changes", headers=env).get_json()
    kinds = [c["kind"] for c in first["changes"]]
    assert kinds == ["blacklist_listing", "case_action"]  # the listing and the case opening
    [case] = client.get("/api/v1/cases", headers=env).get_json()["results"]
    client.post(f"/api/v1/cases/{case['id']}/actions", json={"action": "confirm", "officers": OFFICERS}, headers=env)
    after = client.get(f"/api/v1/changes?after={first['next_cursor']}", headers=env).get_json()
    assert [(c["kind"], c["payload"]["action"]) for c in after["changes"]] == [("case_action", "confirm")]
    again = client.get(f"/api/v1/changes?after={after['next_cursor']}", headers=env).get_json()
    assert again["changes"] == [] and again["next_cursor"] == after["next_cursor"]
    assert client.get("/api/v1/changes?after=garbage!", headers=env).status_code == 422


@pytest.mark.commits
@pytest.mark.slow
def test_feed_never_skips_a_transaction_that_commits_late(app, backend):
    """T1 queues a feed row and stays open; T2 writes and commits meanwhile (T1 holds no lock yet). T1's row
    takes its id only when T1 commits, so it comes after T2's: a reader past T2's row still finds it."""
    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers: the id order is the commit order")
    import threading

    from vehicle_enforce import create_app, signals
    from vehicle_enforce.cases import feed
    from vehicle_enforce.extensions import db

    other = create_app({"DATABASE_URL": backend.template, "INSTANCE_PATH": app.instance_path})
    late_ctx = other.app_context()
    late_ctx.push()
    signals.send_record("case_action", "late", {"n": 1})  # T1: queued, not committed
    done = threading.Event()

    def early_writer() -> None:
        with other.app_context():
            signals.send_record("case_action", "early", {"n": 2})
            db.session.commit()
            db.session.remove()
        done.set()

    thread = threading.Thread(target=early_writer)
    thread.start()
    assert done.wait(30), "T2 waited for T1, which had only queued its row"
    with app.app_context():
        first = feed.read(None)
        db.session.remove()
    assert [c["object_id"] for c in first["changes"]] == ["early"]
    db.session.commit()  # T1 commits late: its row's id is drawn now, after T2's
    db.session.remove()
    late_ctx.pop()
    thread.join(timeout=10)
    with app.app_context():
        seen = feed.read(first["next_cursor"])
        db.session.remove()
    assert [c["object_id"] for c in seen["changes"]] == ["late"]
