"""The shared case: every transition by its department, refused for others and in wrong states."""

from __future__ import annotations

import pytest

from tests.blacklist.conftest import active_entries


@pytest.fixture
def listed(vehicle, post_pass, client, auth_headers):
    vid = vehicle()
    post_pass("晋E12345", "2019-11-01T10:00:00+08:00")
    post_pass("晋E12345", "2019-11-02T10:00:00+08:00")
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=auth_headers("environment")).get_json()["results"]
    return vid, case


def act(client, headers, case_id, action, **fields):
    return client.post(f"/api/v1/cases/{case_id}/actions", json={"action": action, **fields}, headers=headers)


def test_end_to_end_listing_penalty_repair_retest_release(listed, client, auth_headers, post_test, station_factory):
    vid, case = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    assert case["state"] == "detected" and case["waiting_for"] == "environment"
    assert act(client, env, case["id"], "confirm").get_json()["state"] == "confirmed"
    r = act(client, police, case["id"], "penalize", decision_number="晋E交罚2019-0001", amount_yuan=200)
    assert r.status_code == 200
    body = r.get_json()
    assert body["state"] == "penalized" and body["penalty"]["amount_yuan"] == 200.0
    assert "第一百一十三条" in body["penalty"]["legal_basis"]
    r = act(client, transport, case["id"], "order_repair", due_date="2019-11-20")
    assert r.get_json()["state"] == "repair_ordered"
    station_factory("JC-M-01", "repair")
    repair_station = auth_headers("station", station="JC-M-01")
    r = act(
        client,
        repair_station,
        case["id"],
        "record_repair",
        repair_station="JC-M-01",
        report_number="M-77",
        repaired_on="2019-11-15",
    )
    assert r.get_json()["state"] == "repaired"
    # The I站 posts its passing retest result: the case closes and the vehicle is released.
    post_test("晋E12345", "2019-11-16T10:00:00+08:00", passed=True, kind="inspection")
    final = client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()
    assert final["state"] == "closed_released"
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


def test_failed_retest_goes_back_to_repair(listed, client, auth_headers):
    _, case = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    act(client, env, case["id"], "confirm")
    act(client, police, case["id"], "penalize", decision_number="D1", amount_yuan=200)
    act(client, transport, case["id"], "order_repair", due_date="2019-11-20")
    act(
        client,
        transport,
        case["id"],
        "record_repair",
        repair_station="JC-M-01",
        report_number="M1",
        repaired_on="2019-11-15",
    )
    r = act(client, env, case["id"], "record_retest", passed=False, report_number="I-1")
    assert r.get_json()["state"] == "repair_ordered"


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


def test_actions_refused_to_the_wrong_department_at_every_step(listed, client, auth_headers):
    _, case = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    steps = [
        ("confirm", {}, env, [police, transport]),
        ("penalize", {"decision_number": "D", "amount_yuan": 200}, police, [env, transport]),
        ("order_repair", {"due_date": "2019-11-30"}, transport, [env, police]),
        (
            "record_repair",
            {"repair_station": "M", "report_number": "R", "repaired_on": "2019-11-20"},
            transport,
            [env, police],
        ),
    ]
    for action, fields, allowed, refused in steps:
        for headers in refused:
            assert act(client, headers, case["id"], action, **fields).status_code == 403, action
        assert act(client, allowed, case["id"], action, **fields).status_code == 200, action


def test_wrong_state_is_409_and_missing_fields_422(listed, client, auth_headers):
    _, case = listed
    police, env = auth_headers("police"), auth_headers("environment")
    r = act(client, police, case["id"], "penalize", decision_number="D", amount_yuan=200)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    act(client, env, case["id"], "confirm")
    r = act(client, police, case["id"], "penalize", amount_yuan=200)
    assert r.status_code == 422 and "decision_number" in r.get_json()["error"]["fields"]
    assert act(client, env, case["id"], "confirm").status_code == 409
    assert act(client, env, case["id"], "fly_away").status_code == 422
    assert act(client, env, 99999, "confirm").status_code == 404


def test_close_scrapped_ends_the_case_and_releases(listed, client, auth_headers):
    vid, case = listed
    r = act(client, auth_headers("transport"), case["id"], "close_scrapped", reason="已报废")
    assert r.get_json()["state"] == "closed_scrapped"
    assert active_entries(vid) == []


def test_inboxes_overdue_lists_and_owner_notice(listed, client, auth_headers, app):
    _, case = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    assert [c["id"] for c in client.get("/api/v1/inbox", headers=env).get_json()["waiting"]] == [case["id"]]
    assert client.get("/api/v1/inbox", headers=police).get_json()["waiting"] == []
    act(client, env, case["id"], "confirm")
    assert [c["id"] for c in client.get("/api/v1/inbox", headers=police).get_json()["waiting"]] == [case["id"]]
    act(client, police, case["id"], "penalize", decision_number="D", amount_yuan=200)
    act(client, transport, case["id"], "order_repair", due_date="2019-11-20")  # long past: overdue now
    overdue = client.get("/api/v1/cases/overdue", headers=transport).get_json()["results"]
    assert [c["id"] for c in overdue] == [case["id"]] and overdue[0]["overdue"] is True
    assert client.get("/api/v1/cases/overdue", headers=police).get_json()["results"] == []
    from sqlalchemy import select

    from vehicle_enforce.cases.models import Notice
    from vehicle_enforce.extensions import db

    notices = db.session.scalars(select(Notice).where(Notice.case_id == case["id"])).all()
    owner = [n for n in notices if n.recipient_kind == "owner"]
    assert len(owner) == 1 and "2019-11-20" in owner[0].message and owner[0].sent_at is not None
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
