"""The shared case: every transition by its department, refused for others and in wrong states."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.blacklist.conftest import NOV, OCT, SUMMARY, act, active_entries, beijing_today


def due_in(days: int = 15) -> str:
    return (beijing_today() + timedelta(days=days)).isoformat()


@pytest.fixture
def listed(vehicle, post_pass, client, auth_headers):
    vid = vehicle()
    post_pass("晋E12345", f"{NOV}-01T10:00:00+08:00")
    post_pass("晋E12345", f"{NOV}-02T10:00:00+08:00")
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=auth_headers("environment")).get_json()["results"]
    return vid, case


def test_end_to_end_listing_penalty_repair_retest_release(listed, client, auth_headers, post_test, post_repair):
    vid, case = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    assert case["state"] == "detected" and case["waiting_for"] == "environment"
    assert act(client, env, case["id"], "confirm").get_json()["state"] == "confirmed"
    r = act(client, police, case["id"], "penalize", decision_number="晋E交罚0001", amount_yuan=200, **SUMMARY)
    assert r.status_code == 200
    body = r.get_json()
    assert body["state"] == "penalized" and body["penalty"]["amount_yuan"] == 200.0
    assert "第一百一十三条" in body["penalty"]["legal_basis"]
    r = act(client, transport, case["id"], "order_repair", due_date=due_in())
    assert r.get_json()["state"] == "repair_ordered"
    # The M站 posts its repair record: the case moves itself, naming the record.
    repair = post_repair("晋E12345", f"{NOV}-15T10:00:00+08:00", number="M-77")
    moved = client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()
    assert moved["state"] == "repaired"
    assert moved["repair"]["report_number"] == "M-77" and moved["repair"]["repair_id"] == repair["id"]
    assert moved["repair"]["repair_station"] == "JC-M-01" and moved["repair"]["repaired_on"] == f"{NOV}-15"
    # The I站 posts its passing retest result: the case closes and the vehicle is released.
    test = post_test("晋E12345", f"{NOV}-16T10:00:00+08:00", passed=True, kind="inspection")
    final = client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()
    assert final["state"] == "closed_released"
    assert final["retest_report"] == test["report_number"]
    assert final["retest"]["station"] == "JC-I-01" and final["retest"]["verdict"] == "pass"
    assert [a["action"] for a in final["timeline"]] == [
        "open",
        "confirm",
        "penalize",
        "order_repair",
        "record_repair",
        "record_retest",
    ]
    assert final["entry"]["status"] == "released" and final["entry"]["release_kind"] == "retest"
    assert active_entries(vid) == []
    # Every step is in the audit log with its department.
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    audited = db.session.execute(
        select(AuditEntry.action, AuditEntry.department).where(AuditEntry.object_type == "case")
    ).all()
    assert ("case.penalize", "police") in audited and ("case.order_repair", "transport") in audited


def _to_repaired(client, auth_headers, case_id, post_repair):
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    act(client, env, case_id, "confirm")
    act(client, police, case_id, "penalize", decision_number="D1", amount_yuan=200, **SUMMARY)
    act(client, transport, case_id, "order_repair", due_date=due_in())
    post_repair("晋E12345", f"{NOV}-15T10:00:00+08:00", number="M1")
    assert client.get(f"/api/v1/cases/{case_id}", headers=env).get_json()["state"] == "repaired"


def test_a_failing_i_station_result_reopens_repair(listed, client, auth_headers, post_test, post_repair):
    vid, case = listed
    _to_repaired(client, auth_headers, case["id"], post_repair)
    test = post_test("晋E12345", f"{NOV}-16T10:00:00+08:00", passed=False, kind="inspection")
    body = client.get(f"/api/v1/cases/{case['id']}", headers=auth_headers("environment")).get_json()
    assert body["state"] == "repair_ordered" and body["retest_report"] == test["report_number"]
    assert body["retest"]["verdict"] != "pass"
    assert body["repair"]["due_date"] >= beijing_today().isoformat()  # a new repair period from today
    assert len(active_entries(vid)) == 1
    # A second repair and a passing roadside test release it.
    post_repair("晋E12345", f"{NOV}-18T10:00:00+08:00", number="M2")
    post_test("晋E12345", f"{NOV}-19T10:00:00+08:00", passed=True, kind="roadside")
    final = client.get(f"/api/v1/cases/{case['id']}", headers=auth_headers("environment")).get_json()
    assert final["state"] == "closed_released" and active_entries(vid) == []


def test_record_retest_must_name_a_stored_test_after_the_repair(listed, client, auth_headers, post_test, post_repair):
    vid, case = listed
    env = auth_headers("environment")
    # Stored before the repair: not a retest.
    early = post_test("晋E12345", f"{NOV}-14T10:00:00+08:00", passed=True, kind="inspection")
    _to_repaired(client, auth_headers, case["id"], post_repair)
    made_up = act(client, env, case["id"], "record_retest", passed=True, report_number="I-DOES-NOT-EXIST")
    assert made_up.status_code == 422 and "report_number" in made_up.get_json()["error"]["fields"]
    assert "没有该车辆" in made_up.get_json()["error"]["message"]
    before = act(client, env, case["id"], "record_retest", report_number=early["report_number"])
    assert before.status_code == 422 and "不晚于维修时间" in before.get_json()["error"]["message"]
    # A spot check can never release; another vehicle's report cannot either.
    from vehicle_enforce.core import transaction

    spot = post_test("晋E12345", f"{NOV}-16T10:00:00+08:00", passed=True, kind="spot_check")
    assert act(client, env, case["id"], "record_retest", report_number=spot["report_number"]).status_code == 422
    other = post_test("晋E77777", f"{NOV}-16T11:00:00+08:00", passed=True, kind="inspection")
    assert act(client, env, case["id"], "record_retest", report_number=other["report_number"]).status_code == 422
    transaction.commit()
    body = client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()
    assert body["state"] == "repaired" and len(active_entries(vid)) == 1
    # A stored I站 result after the repair decides as soon as it is posted.
    good = post_test("晋E12345", f"{NOV}-17T10:00:00+08:00", passed=True, kind="inspection")
    final = client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()
    assert final["state"] == "closed_released" and final["retest_report"] == good["report_number"]


def test_record_repair_must_name_a_stored_repair_of_the_vehicle(
    listed, vehicle, client, auth_headers, post_repair, station_factory
):
    _, case = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    act(client, env, case["id"], "confirm")
    act(client, police, case["id"], "penalize", decision_number="D1", amount_yuan=200, **SUMMARY)
    # Stored while the case was not yet waiting for repair: named by hand later.
    repair = post_repair("晋E12345", f"{NOV}-15T10:00:00+08:00", number="M-9")
    vehicle("晋E66666")
    post_repair("晋E66666", f"{NOV}-15T10:00:00+08:00", number="M-OTHER")
    early = post_repair("晋E12345", f"{OCT}-01T10:00:00+08:00", number="M-EARLY")
    act(client, transport, case["id"], "order_repair", due_date=due_in())
    cases = [
        ({"repair_station": "JC-M-99", "report_number": "NOPE", "repaired_on": f"{NOV}-15"}, "repair_number"),
        ({"repair_number": "M-OTHER"}, "repair_number"),  # another vehicle's repair
        ({"repair_number": "M-EARLY"}, "repair_number"),  # before the evidence of this case
        ({"repair_number": "M-9", "repaired_on": (beijing_today() + timedelta(days=3)).isoformat()}, "repaired_on"),
        ({"repair_number": "M-9", "repaired_on": f"{NOV}-14"}, "repaired_on"),  # not the record's date
        ({}, "repair_number"),
    ]
    for fields, field in cases:
        r = act(client, transport, case["id"], "record_repair", **fields)
        assert r.status_code == 422, (fields, r.get_json())
        assert field in r.get_json()["error"]["fields"], (fields, r.get_json())
    assert early["id"] != repair["id"]
    # A station token may name only its own station's record.
    station_factory("JC-M-02", "repair")
    other_station = auth_headers("station", station="JC-M-02")
    assert act(client, other_station, case["id"], "record_repair", repair_number="M-9").status_code == 422
    r = act(client, transport, case["id"], "record_repair", repair_number="M-9", repaired_on=f"{NOV}-15")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["state"] == "repaired" and body["repair"]["repair_id"] == repair["id"]


def test_order_repair_refuses_a_due_date_before_today(listed, client, auth_headers):
    _, case = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    act(client, env, case["id"], "confirm")
    act(client, police, case["id"], "penalize", decision_number="D1", amount_yuan=200, **SUMMARY)
    yesterday = (beijing_today() - timedelta(days=1)).isoformat()
    r = act(client, transport, case["id"], "order_repair", due_date=yesterday)
    assert r.status_code == 422 and "due_date" in r.get_json()["error"]["fields"]
    assert "早于今天" in r.get_json()["error"]["message"]
    r = act(client, transport, case["id"], "order_repair", due_date=beijing_today().isoformat())
    assert r.status_code == 200 and r.get_json()["state"] == "repair_ordered"


@pytest.mark.parametrize(
    ("department", "action", "fields"),
    [
        ("police", "confirm", {}),
        ("transport", "confirm", {}),
        ("station", "confirm", {}),
    ],
)
def test_each_transition_is_refused_to_other_departments(listed, client, auth_headers, department, action, fields):
    _, case = listed
    headers = auth_headers(department, station="JC-RS-01" if department == "station" else None)
    assert act(client, headers, case["id"], action, **fields).status_code == 403


def test_actions_refused_to_the_wrong_department_at_every_step(listed, client, auth_headers, post_repair):
    _, case = listed
    post_repair("晋E12345", f"{NOV}-20T10:00:00+08:00", number="M-20")
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    steps = [
        ("confirm", {}, env, [police, transport]),
        ("penalize", {"decision_number": "D", "amount_yuan": 200, **SUMMARY}, police, [env, transport]),
        ("order_repair", {"due_date": due_in()}, transport, [env, police]),
        ("record_repair", {"repair_number": "M-20"}, transport, [env, police]),
    ]
    for action, fields, allowed, refused in steps:
        for headers in refused:
            assert act(client, headers, case["id"], action, **fields).status_code == 403, action
        assert act(client, allowed, case["id"], action, **fields).status_code == 200, action


def test_wrong_state_is_409_and_missing_fields_422(listed, client, auth_headers):
    _, case = listed
    police, env = auth_headers("police"), auth_headers("environment")
    r = act(client, police, case["id"], "penalize", decision_number="D", amount_yuan=200, **SUMMARY)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    act(client, env, case["id"], "confirm")
    r = act(client, police, case["id"], "penalize", amount_yuan=200)
    assert r.status_code == 422 and "decision_number" in r.get_json()["error"]["fields"]
    assert act(client, env, case["id"], "confirm").status_code == 409
    assert act(client, env, case["id"], "fly_away").status_code == 422
    assert act(client, env, 99999, "confirm").status_code == 404


def test_close_scrapped_needs_transport_a_reason_and_a_recorded_scrapping(listed, client, auth_headers):
    vid, case = listed
    env, transport = auth_headers("environment"), auth_headers("transport")
    assert act(client, env, case["id"], "close_scrapped", reason="已报废").status_code == 403
    r = act(client, transport, case["id"], "close_scrapped", reason="已报废")
    assert r.status_code == 422 and "vehicle_id" in r.get_json()["error"]["fields"]
    assert "没有报废或注销记录" in r.get_json()["error"]["message"]
    assert len(active_entries(vid)) == 1
    # The registry holds it as deregistered (imported so): transport may close, with a reason.
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Vehicle

    db.session.get(Vehicle, vid).status = "deregistered"
    transaction.commit()
    r = act(client, transport, case["id"], "close_scrapped", reason="  ")
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    r = act(client, transport, case["id"], "close_scrapped", reason="车辆已注销")
    assert r.status_code == 200
    body = r.get_json()
    assert body["state"] == "closed_scrapped"
    assert body["timeline"][-1]["fields"]["scrapping"] == {"source": "registry", "kind": "deregistered"}
    assert active_entries(vid) == []


def test_inboxes_overdue_lists_and_owner_notice(listed, client, auth_headers, app):
    _, case = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    assert [c["id"] for c in client.get("/api/v1/inbox", headers=env).get_json()["waiting"]] == [case["id"]]
    assert client.get("/api/v1/inbox", headers=police).get_json()["waiting"] == []
    act(client, env, case["id"], "confirm")
    assert [c["id"] for c in client.get("/api/v1/inbox", headers=police).get_json()["waiting"]] == [case["id"]]
    act(client, police, case["id"], "penalize", decision_number="D", amount_yuan=200, **SUMMARY)
    due = beijing_today().isoformat()
    act(client, transport, case["id"], "order_repair", due_date=due)
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.extensions import db

    db.session.get(Case, case["id"]).due_at = now_utc() - timedelta(minutes=1)  # the deadline passes
    transaction.commit()
    overdue = client.get("/api/v1/cases/overdue", headers=transport).get_json()["results"]
    assert [c["id"] for c in overdue] == [case["id"]] and overdue[0]["overdue"] is True
    assert client.get("/api/v1/cases/overdue", headers=police).get_json()["results"] == []
    from sqlalchemy import select

    from vehicle_enforce.cases.models import Notice
    from vehicle_enforce.extensions import db

    notices = db.session.scalars(select(Notice).where(Notice.case_id == case["id"])).all()
    owner = [n for n in notices if n.recipient_kind == "owner"]
    assert len(owner) == 1 and due in owner[0].message and owner[0].sent_at is not None
    assert {n.recipient for n in notices if n.recipient_kind == "department"} >= {"environment", "police", "transport"}


def test_a_failing_sender_keeps_the_notice(listed, client, auth_headers, app):
    _, case = listed
    app.config["NOTICE_SENDER"] = "tests.blacklist.test_cases_flow.broken_sender"
    r = act(client, auth_headers("environment"), case["id"], "confirm")
    assert r.status_code == 200
    from sqlalchemy import select

    from vehicle_enforce.cases.models import Notice
    from vehicle_enforce.extensions import db

    latest = db.session.scalars(select(Notice).order_by(Notice.id.desc())).first()
    assert latest.sent_at is None and "gateway down" in latest.send_error


def broken_sender(notice):
    raise RuntimeError("gateway down")


def test_a_retest_stored_before_the_repair_was_recorded_is_named_by_hand(
    listed, client, auth_headers, post_test, post_repair
):
    vid, case = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    act(client, env, case["id"], "confirm")
    act(client, police, case["id"], "penalize", decision_number="D1", amount_yuan=200, **SUMMARY)
    # The repair and the I站 result arrive while the case still waits for the penalty to be served.
    post_repair("晋E12345", f"{NOV}-15T10:00:00+08:00", number="M-5")
    test = post_test("晋E12345", f"{NOV}-16T10:00:00+08:00", passed=True, kind="inspection")
    act(client, transport, case["id"], "order_repair", due_date=due_in())
    assert act(client, transport, case["id"], "record_repair", repair_number="M-5").get_json()["state"] == "repaired"
    r = act(client, env, case["id"], "record_retest", report_number=test["report_number"], passed=False)
    assert r.status_code == 422 and "passed" in r.get_json()["error"]["fields"]
    r = act(client, env, case["id"], "record_retest", report_number=test["report_number"], station="JC-I-01")
    assert r.status_code == 200 and r.get_json()["state"] == "closed_released"
    assert active_entries(vid) == []
