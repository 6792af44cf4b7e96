"""The listing rule at its boundaries: days, the window, invalid passes, tests and black smoke."""

from __future__ import annotations

import threading

import pytest

from tests.blacklist.conftest import AUG, NOV, active_entries, pass_body


def test_two_exceeding_passes_on_different_days_list_the_vehicle(vehicle, post_pass):
    vid = vehicle()
    post_pass("晋E12345", f"{NOV}-01T08:00:00+08:00")
    assert active_entries(vid) == []
    post_pass("晋E12345", f"{NOV}-02T09:30:00+08:00")
    [entry] = active_entries(vid)
    assert entry.rule == "remote_sensing_repeat"
    assert len(entry.evidence) == 2
    # The entry explains itself: where, when, which limit, by how much.
    assert f"{NOV}-01 08:00" in entry.reason and f"{NOV}-02 09:30" in entry.reason
    assert "不透光度 55%，超过限值 30%，超出 25%" in entry.reason
    assert "JC-RS-01" in entry.reason


def test_same_local_day_counts_once(vehicle, post_pass):
    vid = vehicle()
    post_pass("晋E12345", f"{NOV}-01T00:10:00+08:00")
    post_pass("晋E12345", f"{NOV}-01T23:50:00+08:00")
    assert active_entries(vid) == []


def test_days_are_asia_shanghai_calendar_days_not_utc(vehicle, post_pass):
    vid = vehicle()
    # 15:30 and 16:30 UTC on the same UTC day are 23:30 on 11-01 and 00:30 on 11-02 in Shanghai.
    post_pass("晋E12345", f"{NOV}-01T15:30:00+00:00")
    post_pass("晋E12345", f"{NOV}-01T16:30:00+00:00")
    assert len(active_entries(vid)) == 1
    other = vehicle("晋E54321")
    # 16:10 UTC on 11-01 and 15:50 UTC on 11-02 are 00:10 and 23:50 on 11-02 in Shanghai: one local day.
    post_pass("晋E54321", f"{NOV}-01T16:10:00+00:00")
    post_pass("晋E54321", f"{NOV}-02T15:50:00+00:00")
    assert active_entries(other) == []


@pytest.mark.parametrize(("gap_days", "listed"), [(179, True), (180, True), (181, False)])
def test_window_is_180_days_apart_at_most(vehicle, post_pass, gap_days, listed):
    from datetime import timedelta

    from vehicle_enforce.core.timeutil import local_day, now_utc, to_local

    vid = vehicle()
    # The second pass a minute ago: the first lies `gap_days` calendar days earlier (the first still
    # inside the window before today when the gap is at most 180 days).
    second = to_local(now_utc() - timedelta(minutes=1))
    first = local_day(second) - timedelta(days=gap_days)
    post_pass("晋E12345", f"{first.isoformat()}T00:00:00+08:00")
    post_pass("晋E12345", second.isoformat())
    assert bool(active_entries(vid)) is listed


@pytest.mark.parametrize(("age_days", "listed"), [(179, True), (180, True), (181, False), (400, False)])
def test_passes_older_than_the_window_before_today_are_judged_but_open_no_case(
    vehicle, post_pass, client, auth_headers, age_days, listed
):
    from datetime import timedelta

    from tests.blacklist.conftest import beijing_today

    vid = vehicle()
    first = beijing_today() - timedelta(days=age_days)
    stored = post_pass("晋E12345", f"{first.isoformat()}T10:00:00+08:00")
    post_pass("晋E12345", f"{(first + timedelta(days=1)).isoformat()}T10:00:00+08:00")
    # Stored and judged either way...
    assert stored["verdict"] == "exceed"
    # ...but only evidence inside the window before today lists the vehicle and opens a case.
    assert bool(active_entries(vid)) is listed
    cases = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=auth_headers("environment")).get_json()
    assert len(cases["results"]) == (1 if listed else 0)


def test_back_filled_pass_counts_by_its_own_date(vehicle, post_pass):
    vid = vehicle()
    post_pass("晋E12345", f"{NOV}-20T10:00:00+08:00")
    post_pass("晋E12345", f"{AUG}-01T10:00:00+08:00")  # a back-fill 111 days earlier
    assert len(active_entries(vid)) == 1


def test_invalid_and_passing_measurements_never_count(vehicle, post_pass):
    vid = vehicle()
    post_pass("晋E12345", f"{NOV}-01T10:00:00+08:00", valid=False)  # exceeds, but wind 9 m/s: invalid
    post_pass("晋E12345", f"{NOV}-02T10:00:00+08:00", exceed=False)
    post_pass("晋E12345", f"{NOV}-03T10:00:00+08:00")
    assert active_entries(vid) == []
    post_pass("晋E12345", f"{NOV}-04T10:00:00+08:00")
    assert len(active_entries(vid)) == 1


def test_one_failed_roadside_or_spot_test_lists(vehicle, post_test):
    vid = vehicle()
    post_test("晋E12345", f"{NOV}-05T10:00:00+08:00", passed=True)
    assert active_entries(vid) == []
    post_test("晋E12345", f"{NOV}-05T11:00:00+08:00", passed=False)
    [entry] = active_entries(vid)
    assert entry.rule == "roadside_fail" and "路检" in entry.reason and "林格曼黑度 3" in entry.reason
    other = vehicle("晋E54321")
    post_test("晋E54321", f"{NOV}-05T12:00:00+08:00", passed=False, kind="spot_check")
    assert "入户抽测" in active_entries(other)[0].reason


def test_black_smoke_counts_only_after_review(vehicle, post_pass, client, auth_headers, station_factory):
    vid = vehicle()
    station_factory("JC-BS-01", "remote_sensing")
    post_pass("晋E12345", f"{NOV}-01T10:00:00+08:00")
    capture = client.post(
        "/api/v1/black-smoke/captures",
        json={
            "capture_id": "BS-1",
            "captured_at": f"{NOV}-03T10:00:00+08:00",
            "plate": "晋E12345",
            "plate_color": "yellow",
            "ringelmann": 3,
            "site": "巴公路口",
        },
        headers=auth_headers("station", station="JC-BS-01"),
    ).get_json()
    assert active_entries(vid) == []
    r = client.post(
        f"/api/v1/black-smoke/captures/{capture['id']}/review",
        json={"decision": "confirm"},
        headers=auth_headers("environment"),
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    [entry] = active_entries(vid)
    assert "黑烟抓拍" in entry.reason


def test_listed_vehicle_is_not_listed_twice_and_history_is_kept(vehicle, post_pass, client, auth_headers):
    vid = vehicle()
    for day in (1, 2, 3, 4):
        post_pass("晋E12345", f"{NOV}-0{day}T10:00:00+08:00")
    [entry] = active_entries(vid)
    env = auth_headers("environment")
    r = client.post(f"/api/v1/blacklist/{entry.id}/release", json={"reason": "复检合格，人工解除"}, headers=env)
    assert r.status_code == 200 and r.get_json()["status"] == "released"
    # Pretend the release happened on the 6th (the passes below are historic back-fills).
    from datetime import datetime

    from vehicle_enforce.extensions import db

    entry = db.session.merge(entry)
    entry.released_at = datetime.fromisoformat(f"{NOV}-06T12:00:00+08:00")
    db.session.commit()
    # Evidence from before the release was dealt with by its case: with one new exceedance it does
    # not relist...
    post_pass("晋E12345", f"{NOV}-10T10:00:00+08:00")
    assert active_entries(vid) == []
    # ...two new ones on different days do.
    post_pass("晋E12345", f"{NOV}-11T10:00:00+08:00")
    assert len(active_entries(vid)) == 1
    listing = client.get(f"/api/v1/blacklist?vehicle_id={vid}", headers=env).get_json()["results"]
    assert [e["status"] for e in listing] == ["released", "active"]


def test_manual_listing_needs_environment_and_a_reason(vehicle, client, auth_headers):
    vid = vehicle()
    r = client.post("/api/v1/blacklist", json={"vehicle_id": vid, "reason": "x"}, headers=auth_headers("police"))
    assert r.status_code == 403
    r = client.post("/api/v1/blacklist", json={"vehicle_id": vid}, headers=auth_headers("environment"))
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    r = client.post(
        "/api/v1/blacklist",
        json={"plate": "晋E12345", "plate_color": "yellow", "reason": "群众举报冒黑烟"},
        headers=auth_headers("environment"),
    )
    assert r.status_code == 201 and r.get_json()["kind"] == "manual"
    r = client.post(
        "/api/v1/blacklist", json={"vehicle_id": vid, "reason": "again"}, headers=auth_headers("environment")
    )
    assert r.status_code == 409


@pytest.mark.commits
@pytest.mark.slow
def test_two_stations_reporting_at_once_create_one_entry(app, vehicle, backend, auth_headers, station_factory):
    """Two concurrent requests, each bringing the second exceeding day: exactly one entry."""
    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    vid = vehicle()
    station_factory("JC-RS-01", "remote_sensing")
    station_factory("JC-RS-02", "remote_sensing")
    tokens = {code: auth_headers("station", station=code) for code in ("JC-RS-01", "JC-RS-02")}
    client = app.test_client()
    client.post(
        "/api/v1/remote-sensing/passes",
        json=pass_body("晋E12345", f"{NOV}-01T10:00:00+08:00"),
        headers=tokens["JC-RS-01"],
    )
    barrier = threading.Barrier(2)
    statuses = []

    def send(code: str, when: str) -> None:
        with app.app_context():
            c = app.test_client()
            barrier.wait()
            body = pass_body("晋E12345", when, station=code)
            statuses.append(c.post("/api/v1/remote-sensing/passes", json=body, headers=tokens[code]).status_code)

    threads = [
        threading.Thread(target=send, args=("JC-RS-01", f"{NOV}-02T10:00:00+08:00")),
        threading.Thread(target=send, args=("JC-RS-02", f"{NOV}-03T10:00:00+08:00")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 201]
    assert len(active_entries(vid)) == 1


def _insert_statements(app, post) -> tuple[dict[str, int], object]:
    """Run `post()` and count the INSERT statements it sent, per table."""
    import re
    from collections import Counter

    from sqlalchemy import event

    from vehicle_enforce.extensions import db

    counts: Counter[str] = Counter()

    def seen(_conn, _cursor, statement, _params, _context, _executemany):
        m = re.match(r'\s*INSERT INTO "?(\w+)"?', statement)
        if m:
            counts[m.group(1)] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        result = post()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return dict(counts), result


@pytest.mark.parametrize("listed", [3, 40])
def test_a_batch_lists_many_vehicles_set_wise(app, backend, vehicle, client, auth_headers, station_factory, listed):
    """Every vehicle the batch lists gets its entry, case, opening action, notice and audit lines; on
    PostgreSQL the number of INSERT statements (round trips) does not grow with the vehicles listed."""
    from sqlalchemy import func, select

    from vehicle_enforce.blacklist.models import BlacklistEntry
    from vehicle_enforce.cases.models import Case, CaseAction, Notice
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    station_factory("JC-RS-01", "remote_sensing")
    headers = auth_headers("station", station="JC-RS-01")
    plates = [f"晋E{70000 + n}" for n in range(listed)]
    ids = [vehicle(p) for p in plates]
    first = [pass_body(p, f"{NOV}-01T08:00:00+08:00") for p in plates]
    assert client.post("/api/v1/remote-sensing/passes", json={"passes": first}, headers=headers).status_code == 201
    second = [pass_body(p, f"{NOV}-02T08:00:00+08:00") for p in plates]
    counts, res = _insert_statements(
        app, lambda: client.post("/api/v1/remote-sensing/passes", json={"passes": second}, headers=headers)
    )
    assert res.status_code == 201
    entries = db.session.scalars(select(BlacklistEntry).where(BlacklistEntry.vehicle_id.in_(ids))).all()
    assert sorted(e.vehicle_id for e in entries) == sorted(ids)
    assert all(len(e.evidence) == 2 and e.status == "active" for e in entries)
    cases = db.session.scalars(select(Case).where(Case.entry_id.in_([e.id for e in entries]))).all()
    assert sorted(c.vehicle_id for c in cases) == sorted(ids)
    assert all(c.state == "detected" and c.due_at is not None for c in cases)
    case_ids = [c.id for c in cases]
    opened = db.session.scalars(select(CaseAction).where(CaseAction.case_id.in_(case_ids))).all()
    assert sorted(a.case_id for a in opened) == sorted(case_ids) and {a.action for a in opened} == {"open"}
    notices = db.session.scalars(select(Notice).where(Notice.case_id.in_(case_ids))).all()
    assert sorted(n.case_id for n in notices) == sorted(case_ids)
    plate_of_case = {c.id: c.vehicle.plate for c in cases}
    assert all(plate_of_case[n.case_id] in n.message for n in notices)
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action.in_(["blacklist.list", "case.open"]))
    )
    assert audited == 2 * listed
    # Set-wise: a constant number of INSERT statements per table, however many vehicles are listed.
    # (SQLite runs in process, without round trips; SQLAlchemy inserts its rows one by one there.)
    if backend.name == "postgresql":
        for table in ("blacklist_entries", "cases", "case_actions", "notices", "audit_log", "change_feed"):
            assert counts.get(table, 0) <= 3, counts
    else:
        assert counts["blacklist_entries"] == listed
