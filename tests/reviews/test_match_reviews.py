"""Every doubtful plate match that can change a listing, a case or a release is reviewed by a person.

Through HTTP on both databases: what is queued (and what is not), the decisions (confirm, correct,
unlink) and what they change: listings, cases, tasks, the change feed and the hotlist answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.blacklist.conftest import NOV, OFFICERS, SUMMARY, active_entries

DAY1, DAY2, DAY3 = (f"{NOV}-{day:02d}T10:00:00+08:00" for day in (1, 2, 3))  # recent: inside the listing window


def reviews(client: Any, headers: dict[str, str], query: str = "state=open") -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/match-reviews?{query}", headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert set(body) == {"results", "next_cursor"}
    return body["results"]  # type: ignore[no-any-return]


def decide(client: Any, headers: dict[str, str], review_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/match-reviews/{review_id}", json=body, headers=headers)


def case_of(client: Any, headers: dict[str, str], vehicle_id: int) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/cases?vehicle_id={vehicle_id}", headers=headers).get_json()["results"]  # type: ignore[no-any-return]


def hotlist(client: Any, auth_headers: Any, plate: str) -> dict[str, Any]:
    r = client.get(
        f"/api/v1/hotlist/check?plate={plate}&plate_color=yellow&reason=卡口检查", headers=auth_headers("police")
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()  # type: ignore[no-any-return]


def test_a_probable_listing_says_so_in_entry_case_and_hotlist_until_a_person_confirms(
    vehicle, post_pass, client, auth_headers
):
    env = auth_headers("environment")
    vid = vehicle("晋E12345")
    first = post_pass("晋E1234S", DAY1)  # S for 5: one OCR confusion away, a probable match
    second = post_pass("晋E1234S", DAY2)
    assert first["match_decision"] == second["match_decision"] == "probable"
    [entry] = active_entries(vid)
    assert entry.evidence_match == "probable"
    assert "近似匹配" in entry.reason and "人工核对" in entry.reason
    assert {e["match_decision"] for e in entry.evidence} == {"probable"}
    [case] = case_of(client, env, vid)
    assert case["evidence_match"] == "probable"
    answer = hotlist(client, auth_headers, "晋E12345")
    assert answer["hit"] == "exact" and answer["evidence_match"] == "probable"
    listing = client.get(f"/api/v1/blacklist/{entry.id}", headers=env).get_json()
    assert listing["evidence_match"] == "probable"

    # The case cannot be confirmed while its evidence rests on an unconfirmed near match.
    r = client.post(
        f"/api/v1/cases/{case['id']}/actions", json={"action": "confirm", "officers": OFFICERS}, headers=env
    )
    assert r.status_code == 409
    assert "号牌核对" in r.get_json()["error"]["fields"]["action"]

    queued = reviews(client, env)
    assert sorted(q["record_id"] for q in queued) == sorted([first["id"], second["id"]])
    for q in queued:
        assert q["record_kind"] == "remote_sensing_pass" and q["match_decision"] == "probable"
        assert q["plate"] == "晋E1234S" and q["vehicle_id"] == vid
        assert q["candidates"][0]["vehicle_id"] == vid and q["candidates"][0]["plate"] == "晋E12345"
    r = decide(client, env, queued[0]["id"], action="confirm", vehicle_id=vid, reason="核对照片，末位为5")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["state"] == "done" and r.get_json()["decision"]["action"] == "confirm"
    # One of two near matches confirmed: still probable.
    assert hotlist(client, auth_headers, "晋E12345")["evidence_match"] == "probable"
    assert decide(client, env, queued[1]["id"], action="confirm", vehicle_id=vid, reason="核对照片").status_code == 200
    assert hotlist(client, auth_headers, "晋E12345")["evidence_match"] == "confirmed"
    assert case_of(client, env, vid)[0]["evidence_match"] == "confirmed"
    r = client.post(
        f"/api/v1/cases/{case['id']}/actions", json={"action": "confirm", "officers": OFFICERS}, headers=env
    )
    assert r.status_code == 200 and r.get_json()["state"] == "confirmed"
    assert reviews(client, env) == []
    assert len(reviews(client, env, "state=done")) == 2
    # Everything is audited with the department that decided.
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    audited = db.session.execute(
        select(AuditEntry.action, AuditEntry.department).where(AuditEntry.action.like("match_review.%"))
    ).all()
    assert audited.count(("match_review.confirm", "environment")) == 2
    assert audited.count(("match_review.open", None)) + audited.count(("match_review.open", "station")) == 2


def test_a_confirmed_pending_record_lists_the_vehicle(vehicle, post_pass, client, auth_headers):
    env = auth_headers("environment")
    vid = vehicle("晋E12345")
    unread = post_pass("", DAY1)  # no plate read: pending, counts toward nothing yet
    assert unread["match_decision"] == "pending" and unread["vehicle_id"] is None
    post_pass("晋E12345", DAY2)
    assert active_entries(vid) == []  # one counted exceedance is not enough
    [review] = reviews(client, env)
    assert review["record_id"] == unread["id"] and review["match_decision"] == "pending"
    assert review["candidates"] == [] and review["station"] == "JC-RS-01"
    r = decide(client, env, review["id"], action="confirm", vehicle_id=vid, reason="照片可见号牌晋E12345")
    assert r.status_code == 200, r.get_data(as_text=True)
    [entry] = active_entries(vid)
    assert sorted(e["record_id"] for e in entry.evidence)[0] == unread["id"]
    assert entry.evidence_match == "exact"
    p = client.get(f"/api/v1/remote-sensing/passes/{unread['id']}", headers=env).get_json()
    assert p["vehicle_id"] == vid and p["match_decision"] == "confirmed" and p["plate_status"] == "matched"
    # A retried decision changes nothing (no second listing, no error).
    again = decide(client, env, review["id"], action="confirm", vehicle_id=vid, reason="照片可见号牌晋E12345")
    assert again.status_code == 200 and len(active_entries(vid)) == 1


def test_unlinking_evidence_of_a_detected_case_releases_it_tells_police_and_recounts(
    vehicle, post_pass, client, auth_headers
):
    env = auth_headers("environment")
    vid = vehicle("晋E12345")
    post_pass("晋E12345", DAY1)
    probable = post_pass("晋E1234S", DAY2)
    [entry] = active_entries(vid)
    assert entry.evidence_match == "probable"
    feed = client.get("/api/v1/changes", headers=env).get_json()
    [review] = reviews(client, env)
    r = decide(client, env, review["id"], action="unlink", reason="照片显示为另一辆外省车")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert active_entries(vid) == []
    listing = client.get(f"/api/v1/blacklist/{entry.id}", headers=env).get_json()  # history kept
    assert listing["status"] == "released" and listing["release_kind"] == "withdrawn"
    [case] = case_of(client, env, vid)
    assert case["state"] == "closed_released"
    changes = client.get(f"/api/v1/changes?after={feed['next_cursor']}", headers=env).get_json()["changes"]
    assert ("blacklist_release", str(entry.id)) in [(c["kind"], c["object_id"]) for c in changes]
    p = client.get(f"/api/v1/remote-sensing/passes/{probable['id']}", headers=env).get_json()
    assert p["vehicle_id"] is None and p["match_decision"] == "unlinked"
    assert hotlist(client, auth_headers, "晋E12345")["hit"] is None

    # The vehicle's other observations still count: a new exceedance on another day lists it again.
    post_pass("晋E12345", DAY3)
    [relisted] = active_entries(vid)
    assert relisted.id != entry.id and relisted.evidence_match == "exact"
    assert probable["id"] not in [e["record_id"] for e in relisted.evidence]


def test_withdrawn_evidence_relists_at_once_when_the_rest_still_lists(vehicle, post_pass, client, auth_headers):
    env = auth_headers("environment")
    vid = vehicle("晋E12345")
    other = vehicle("晋E12S45")  # confirming the read to another vehicle moves the evidence
    post_pass("晋E12345", DAY1)
    post_pass("晋E1234S", DAY2)  # probable for 晋E12345
    post_pass("晋E12345", DAY3)  # listed already: counted when the listing is redone
    [entry] = active_entries(vid)
    [review] = reviews(client, env)
    r = decide(client, env, review["id"], action="confirm", vehicle_id=other, reason="照片为晋E12S45")
    assert r.status_code == 200, r.get_data(as_text=True)
    [relisted] = active_entries(vid)
    assert relisted.id != entry.id and relisted.evidence_match == "exact"
    assert len(relisted.evidence) == 2
    assert active_entries(other) == []  # one exceedance does not list the other vehicle


def test_unlinking_evidence_of_a_confirmed_case_opens_a_task_and_never_releases(
    vehicle, post_pass, client, auth_headers
):
    env, police = auth_headers("environment"), auth_headers("police")
    vid = vehicle("晋E12345")
    post_pass("晋E1234S", DAY1)
    post_pass("晋E12345", DAY2)
    [review] = reviews(client, env)
    assert decide(client, env, review["id"], action="confirm", vehicle_id=vid, reason="核对照片").status_code == 200
    [case] = case_of(client, env, vid)
    r = client.post(
        f"/api/v1/cases/{case['id']}/actions", json={"action": "confirm", "officers": OFFICERS}, headers=env
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    r = client.post(
        f"/api/v1/cases/{case['id']}/actions",
        json={"action": "penalize", "decision_number": "晋E交罚-1", "amount_yuan": 200, **SUMMARY},
        headers=police,
    )
    assert r.status_code == 200
    feed = client.get("/api/v1/changes", headers=env).get_json()
    # A second look at the photo: the first decision was wrong.
    r = decide(client, env, review["id"], action="unlink", reason="复核照片，号牌不是本车")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert len(active_entries(vid)) == 1  # still listed: nothing is released silently
    assert client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()["state"] == "penalized"
    changes = client.get(f"/api/v1/changes?after={feed['next_cursor']}", headers=env).get_json()["changes"]
    assert "blacklist_release" not in [c["kind"] for c in changes]
    for headers in (env, police):
        inbox = client.get("/api/v1/inbox", headers=headers).get_json()
        [task] = inbox["evidence_tasks"]
        assert task["case_id"] == case["id"] and task["kind"] == "evidence_withdrawn"
        assert "撤回" in task["message"] and "撤销处罚" in task["message"]
        assert task["details"]["penalty_decision"] == "晋E交罚-1"
    assert "evidence_tasks" in client.get("/api/v1/inbox", headers=auth_headers("transport")).get_json()
    assert client.get("/api/v1/inbox", headers=auth_headers("transport")).get_json()["evidence_tasks"] == []
    from sqlalchemy import select

    from vehicle_enforce.cases.models import Notice
    from vehicle_enforce.extensions import db

    notices = db.session.scalars(select(Notice).where(Notice.kind == "evidence_withdrawn")).all()
    assert sorted(n.recipient for n in notices) == ["environment", "police"]
    # Deciding the same way again opens no second task.
    decide(client, env, review["id"], action="unlink", reason="复核照片，号牌不是本车")
    assert len(client.get("/api/v1/inbox", headers=police).get_json()["evidence_tasks"]) == 1


def test_correcting_an_ambiguous_read_links_the_registered_plate_or_none(vehicle, post_pass, client, auth_headers):
    env = auth_headers("environment")
    a, b = vehicle("晋E12385"), vehicle("晋E123BS")
    ambiguous = post_pass("晋E123B5", DAY1)  # B/8 from one, 5/S from the other: a tie
    assert ambiguous["match_decision"] == "ambiguous" and ambiguous["vehicle_id"] is None
    post_pass("晋E123BS", DAY2)
    [review] = reviews(client, env)
    assert {c["vehicle_id"] for c in review["candidates"]} >= {a, b}
    r = decide(client, env, review["id"], action="correct", plate="晋E123BS", plate_color="yellow", reason="照片为S")
    assert r.status_code == 200, r.get_data(as_text=True)
    decision = r.get_json()["decision"]
    assert decision["vehicle_id"] == b and decision["plate"] == "晋E123BS"
    assert len(active_entries(b)) == 1 and active_entries(a) == []
    p = client.get(f"/api/v1/remote-sensing/passes/{ambiguous['id']}", headers=env).get_json()
    assert (p["plate"], p["vehicle_id"], p["match_decision"]) == ("晋E123BS", b, "confirmed")
    # Corrected to a plate nobody registered: the record names no vehicle and B's listing loses it.
    r = decide(client, env, review["id"], action="correct", plate="晋E99999", plate_color="yellow", reason="再核")
    assert r.status_code == 200
    p = client.get(f"/api/v1/remote-sensing/passes/{ambiguous['id']}", headers=env).get_json()
    assert (p["plate"], p["vehicle_id"], p["match_decision"], p["plate_status"]) == (
        "晋E99999",
        None,
        "none",
        "unregistered",
    )
    assert active_entries(b) == []


def test_only_records_that_can_change_a_listing_case_or_release_are_queued(
    vehicle, post_pass, post_test, client, auth_headers, station_factory
):
    env = auth_headers("environment")
    vehicle("晋E12345")
    post_pass("晋E1234S", DAY1, exceed=False)  # a doubtful clean pass: keeps its decision, no review
    post_pass("晋E1234S", DAY1, valid=False)  # a doubtful invalid pass: no review
    assert reviews(client, env) == []
    failed = post_test("晋E1234S", DAY1, passed=False)  # roadside fail
    passed = post_test("晋E1234S", DAY1, passed=True)  # roadside pass: no review
    retest = post_test("晋E1234S", DAY2, passed=True, kind="inspection")  # I站 result: always reviewed
    station_factory("JC-M-01", "repair")
    r = client.post(
        "/api/v1/repairs",
        json={
            "repair_number": "M-1",
            "repaired_at": DAY2,
            "plate": "晋E1234S",
            "plate_color": "yellow",
            "items": ["更换DPF"],
        },
        headers=auth_headers("station", station="JC-M-01"),
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    repair = r.get_json()
    station_factory("JC-BS-01", "black_smoke")
    r = client.post(
        "/api/v1/black-smoke/captures",
        json={"capture_id": "C-1", "captured_at": DAY2, "plate": "晋E1234S", "plate_color": "yellow", "ringelmann": 3},
        headers=auth_headers("station", station="JC-BS-01"),
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    capture = r.get_json()
    queued = {(q["record_kind"], q["record_id"]) for q in reviews(client, env)}
    assert queued == {
        ("roadside_test", failed["id"]),
        ("roadside_test", retest["id"]),
        ("repair", repair["id"]),
        ("black_smoke_capture", capture["id"]),
    }
    assert ("roadside_test", passed["id"]) not in queued
    assert {(q["record_kind"], q["record_id"]) for q in reviews(client, env, "kind=repair")} == {
        ("repair", repair["id"])
    }
    assert {q["record_id"] for q in reviews(client, env, "station=JC-BS-01")} == {capture["id"]}
    # A station sees its own records only, whatever it asks for.
    own = reviews(client, auth_headers("station", station="JC-M-01"), "station=JC-BS-01")
    assert own == []
    assert {q["record_id"] for q in reviews(client, auth_headers("station", station="JC-M-01"))} == {repair["id"]}
    # Pages follow the cursor.
    first = client.get("/api/v1/match-reviews?limit=3", headers=env).get_json()
    rest = client.get(f"/api/v1/match-reviews?limit=3&cursor={first['next_cursor']}", headers=env).get_json()
    assert len(first["results"]) == 3 and len(rest["results"]) == 1 and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "confirm", "reason": "x"}, "vehicle_id"),
        ({"action": "confirm", "vehicle_id": 999999, "reason": "x"}, "vehicle_id"),
        ({"action": "confirm", "vehicle_id": 1, "reason": "   "}, "reason"),
        ({"action": "confirm", "vehicle_id": 1}, "reason"),
        ({"action": "correct", "plate": "晋E1234I", "plate_color": "yellow", "reason": "x"}, "plate"),
        ({"action": "correct", "plate": "晋E12345", "reason": "x"}, "plate_color"),
        ({"action": "correct", "plate": "晋E12345", "plate_color": "purple", "reason": "x"}, "plate_color"),
        ({"action": "delete", "reason": "x"}, "action"),
        ({"action": "unlink", "reason": "x", "extra": 1}, "extra"),
        ({"action": "confirm", "vehicle_id": "1", "reason": "x"}, "vehicle_id"),
    ],
)
def test_bad_decisions_are_refused_naming_the_field_and_change_nothing(
    vehicle, post_pass, client, auth_headers, body, field
):
    env = auth_headers("environment")
    vid = vehicle("晋E12345")
    post_pass("晋E1234S", DAY1)
    [review] = reviews(client, env)
    r = decide(client, env, review["id"], **body)
    assert r.status_code == 422, r.get_data(as_text=True)
    assert field in r.get_json()["error"]["fields"]
    [still] = reviews(client, env)
    assert still["state"] == "open" and still["record"]["vehicle_id"] == vid
    assert decide(client, env, 999999, action="unlink", reason="x").status_code == 404
    assert client.get("/api/v1/match-reviews?state=maybe", headers=env).status_code == 422
    assert client.get("/api/v1/match-reviews?kind=gate", headers=env).status_code == 422


def test_a_probable_i_station_pass_releases_only_once_a_person_confirms_it_and_unlinking_it_opens_a_task(
    vehicle, post_pass, post_test, post_repair, client, auth_headers
):
    from tests.blacklist.test_cases_flow import _to_repaired

    env, police = auth_headers("environment"), auth_headers("police")
    vid = vehicle("晋E12345")
    post_pass("晋E12345", DAY1)
    post_pass("晋E12345", DAY2)
    [case] = case_of(client, env, vid)
    _to_repaired(client, auth_headers, case["id"], post_repair)
    retest = post_test("晋E1234S", f"{NOV}-16T10:00:00+08:00", passed=True, kind="inspection")
    assert retest["match_decision"] == "probable" and retest["vehicle_id"] == vid
    # Never a release on a possible misread: the case waits for the review.
    assert client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()["state"] == "repaired"
    assert len(active_entries(vid)) == 1
    r = client.post(
        f"/api/v1/cases/{case['id']}/actions",
        json={"action": "record_retest", "report_number": retest["report_number"]},
        headers=env,
    )
    assert r.status_code == 422 and "近似匹配" in str(r.get_json()["error"])
    [review] = reviews(client, env, "kind=roadside_test")
    assert review["record_id"] == retest["id"] and review["record_kind_zh"] == "I站检测"
    assert decide(client, env, review["id"], action="confirm", vehicle_id=vid, reason="核对I站照片").status_code == 200
    released = client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()
    assert released["state"] == "closed_released" and active_entries(vid) == []
    # The confirmation was wrong after all: the release stands until people decide, and they are told.
    assert decide(client, env, review["id"], action="unlink", reason="复核：I站车辆为另一辆").status_code == 200
    assert client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()["state"] == "closed_released"
    for headers in (env, police):
        [task] = client.get("/api/v1/inbox", headers=headers).get_json()["evidence_tasks"]
        assert task["case_id"] == case["id"] and task["record_kind"] == "roadside_test"


def test_the_plate_reader_updates_or_closes_the_review_of_an_unread_pass(
    vehicle, post_pass, client, auth_headers, run_jobs
):
    import base64

    from plates.reading.reader import DOUBTFUL_BELOW
    from tests.inspections.test_inspections_plate_reading import _StubReading
    from vehicle_enforce.vehicles import plate_reading

    env = auth_headers("environment")
    vid = vehicle("晋E8A123")
    photo = {"name": "plate.jpg", "content_base64": base64.b64encode(b"\xff\xd8\xff" + b"stub-photo").decode()}
    plate_reading.PLATE_READER_OVERRIDE = lambda content: [_StubReading("晋E8A123", "yellow", DOUBTFUL_BELOW - 0.05)]
    try:
        doubtful = post_pass("", DAY1, plate_color="unknown", photos=[photo])
        run_jobs()
        [review] = reviews(client, env)
        assert review["record_id"] == doubtful["id"] and review["match_decision"] == "pending"
        assert review["plate"] == "晋E8A123" and review["candidates"][0]["vehicle_id"] == vid
        plate_reading.PLATE_READER_OVERRIDE = lambda content: [_StubReading("晋E8A123", "yellow", 0.99)]
        confident = post_pass("", DAY2, plate_color="unknown", photos=[photo])
        assert {r["record_id"] for r in reviews(client, env)} == {doubtful["id"], confident["id"]}
        run_jobs()
    finally:
        plate_reading.PLATE_READER_OVERRIDE = None
    # The confident read matched exactly: its review is closed by the reader, and the vehicle is listed.
    assert [r["record_id"] for r in reviews(client, env)] == [doubtful["id"]]
    [closed] = reviews(client, env, "state=done")
    assert closed["record_id"] == confident["id"] and closed["decision"]["action"] == "reread"
    assert active_entries(vid) == []  # the doubtful pass counts toward nothing until a person confirms
    assert decide(client, env, review["id"], action="confirm", vehicle_id=vid, reason="照片可辨").status_code == 200
    assert len(active_entries(vid)) == 1
