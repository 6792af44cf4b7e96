"""Withdrawal covers every kind of device record that can back a listing or a case step: remote-sensing
passes, roadside/spot/I站 tests, black-smoke captures and M站 repairs. Each stays stored and every record
API (and the pages listing them) shows the flag, the reason and the time."""

from __future__ import annotations

from datetime import timedelta

from tests.blacklist.conftest import NOV, OFFICERS, SUMMARY, act, active_entries, beijing_today, pass_body

REASON = "事后检定发现该站设备校准失效"


def _period(day):
    return {
        "since": f"{(day - timedelta(days=1)).isoformat()}T00:00:00+08:00",
        "until": f"{(day + timedelta(days=1)).isoformat()}T00:00:00+08:00",
    }


def _post(client, auth_headers, station_factory, source, plate, when):
    """Store one record of `source` at its own station; answer (station code, list endpoint, record id)."""
    if source == "remote_sensing_pass":
        station_factory("JC-RS-01", "remote_sensing")
        body, url, station = pass_body(plate, when), "/api/v1/remote-sensing/passes", "JC-RS-01"
    elif source in ("roadside_test", "inspection_result"):
        station = "JC-RD-01" if source == "roadside_test" else "JC-I-01"
        station_factory(station, "roadside" if source == "roadside_test" else "inspection")
        body = {
            "report_number": f"R-{source}",
            "method": "ringelmann",
            "tested_at": when,
            "plate": plate,
            "plate_color": "yellow",
            "readings": {"ringelmann": 3},
        }
        url = "/api/v1/roadside-tests" if source == "roadside_test" else "/api/v1/inspection-results"
        if source == "roadside_test":
            body["kind"] = "roadside"
    elif source == "black_smoke_capture":
        station_factory("JC-BS-01", "black_smoke")
        body = {"capture_id": "C-W1", "captured_at": when, "plate": plate, "plate_color": "yellow", "ringelmann": 3}
        url, station = "/api/v1/black-smoke/captures", "JC-BS-01"
    else:
        station_factory("JC-M-01", "repair")
        body = {"repair_number": "M-W1", "repaired_at": when, "plate": plate, "plate_color": "yellow", "items": ["x"]}
        url, station = "/api/v1/repairs", "JC-M-01"
    r = client.post(url, json=body, headers=auth_headers("station", station=station))
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    data = r.get_json()
    record = data["results"][0] if "results" in data else data
    return station, url, int(record.get("pass_id") or record["id"])


def test_every_record_kind_can_be_withdrawn_and_every_api_shows_it(client, auth_headers, station_factory, vehicle):
    from vehicle_enforce.blacklist.withdrawals import KINDS

    env = auth_headers("environment")
    vehicle("晋E20001")
    day = beijing_today() - timedelta(days=3)
    when = f"{day.isoformat()}T10:00:00+08:00"
    sources = ["remote_sensing_pass", "roadside_test", "inspection_result", "black_smoke_capture", "repair"]
    # The walk covers every kind the withdrawal knows (an I站 result is a roadside_test row of its own station).
    assert {("roadside_test" if s == "inspection_result" else s) for s in sources} == set(KINDS)
    stored = {s: _post(client, auth_headers, station_factory, s, "晋E20001", when) for s in sources}
    for source, (station, url, record_id) in stored.items():
        listed = {r["id"]: r for r in client.get(url, headers=env).get_json()["results"]}
        assert listed[record_id]["withdrawn"] is False and listed[record_id]["withdrawn_reason"] is None
        r = client.post(
            "/api/v1/evidence-withdrawals", json={"station": station, **_period(day), "reason": REASON}, headers=env
        )
        assert r.status_code == 201, (source, r.get_json())
        kind = "roadside_test" if source == "inspection_result" else source
        assert r.get_json()["outcome"]["records"][kind] == 1, (source, r.get_json()["outcome"])
        shown = {x["id"]: x for x in client.get(url, headers=env).get_json()["results"]}[record_id]
        assert shown["withdrawn"] is True, source
        assert shown["withdrawn_reason"] == REASON and shown["withdrawn_at"], source
    # The single-record reads show it too.
    pass_id = stored["remote_sensing_pass"][2]
    one = client.get(f"/api/v1/remote-sensing/passes/{pass_id}", headers=env).get_json()
    assert one["withdrawn"] is True and one["withdrawn_reason"] == REASON
    capture_id = stored["black_smoke_capture"][2]
    one = client.get(f"/api/v1/black-smoke/captures/{capture_id}", headers=env).get_json()
    assert one["withdrawn"] is True and one["withdrawn_reason"] == REASON


def test_a_withdrawn_roadside_test_releases_its_listing(vehicle, client, auth_headers, post_test):
    vid = vehicle()
    day = beijing_today() - timedelta(days=2)
    post_test("晋E12345", f"{day.isoformat()}T10:00:00+08:00", passed=False)
    assert len(active_entries(vid)) == 1
    env = auth_headers("environment")
    r = client.post(
        "/api/v1/evidence-withdrawals", json={"station": "JC-RD-01", **_period(day), "reason": REASON}, headers=env
    )
    assert r.status_code == 201 and r.get_json()["outcome"]["released"], r.get_json()
    assert active_entries(vid) == []
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=env).get_json()["results"]
    assert case["state"] == "closed_released"
    # The export sends the correction of the test it sent.
    from sqlalchemy import select

    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    sent = db.session.scalars(select(ExportRecord).where(ExportRecord.kind == "roadside_test_withdrawal")).all()
    assert sent and all(s.payload["withdrawn"] is True and s.payload["reason"] == REASON for s in sent)


def test_withdrawn_confirmed_captures_stop_counting(vehicle, client, auth_headers, station_factory, post_pass):
    """A listing on a pass and a confirmed capture no longer holds when the capture is withdrawn."""
    vid = vehicle()
    env = auth_headers("environment")
    station_factory("JC-BS-01", "black_smoke")
    d1, d2 = beijing_today() - timedelta(days=5), beijing_today() - timedelta(days=4)
    r = client.post(
        "/api/v1/black-smoke/captures",
        json={"capture_id": "C-9", "captured_at": f"{d1}T09:00:00+08:00", "plate": "晋E12345", "ringelmann": 3},
        headers=auth_headers("station", station="JC-BS-01"),
    )
    assert r.status_code == 201, r.get_json()
    r = client.post(
        f"/api/v1/black-smoke/captures/{r.get_json()['id']}/review", json={"decision": "confirm"}, headers=env
    )
    assert r.status_code == 200, r.get_json()
    post_pass("晋E12345", f"{d2}T10:00:00+08:00")
    assert len(active_entries(vid)) == 1
    r = client.post(
        "/api/v1/evidence-withdrawals", json={"station": "JC-BS-01", **_period(d1), "reason": REASON}, headers=env
    )
    assert r.status_code == 201 and r.get_json()["outcome"]["released"], r.get_json()
    assert active_entries(vid) == []


def test_a_withdrawn_repair_or_retest_opens_a_task_and_cannot_be_named(
    vehicle, post_pass, client, auth_headers, post_repair, post_test
):
    from vehicle_enforce.extensions import db
    from vehicle_enforce.reviews.models import EvidenceTask

    vid = vehicle()
    post_pass("晋E12345", f"{NOV}-01T10:00:00+08:00")
    post_pass("晋E12345", f"{NOV}-02T10:00:00+08:00")
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=env).get_json()["results"]
    act(client, env, case["id"], "confirm", officers=OFFICERS)
    act(client, police, case["id"], "penalize", decision_number="D1", amount_yuan=200, **SUMMARY)
    # A repair posted before the repair order, then withdrawn: it cannot be named by the case.
    post_repair("晋E12345", f"{NOV}-14T10:00:00+08:00", number="M0")
    withdraw_m0 = {
        "station": "JC-M-01",
        "since": f"{NOV}-14T00:00:00+08:00",
        "until": f"{NOV}-14T23:00:00+08:00",
        "reason": "M站资质被撤销",
    }
    assert client.post("/api/v1/evidence-withdrawals", json=withdraw_m0, headers=env).status_code == 201
    due = (beijing_today() + timedelta(days=5)).isoformat()
    assert act(client, transport, case["id"], "order_repair", due_date=due).status_code == 200
    r = act(client, transport, case["id"], "record_repair", repair_number="M0")
    assert r.status_code == 422 and "已撤回" in r.get_json()["error"]["fields"]["repair_number"]
    post_repair("晋E12345", f"{NOV}-15T10:00:00+08:00", number="M1")
    assert client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()["state"] == "repaired"
    day = NOV + "-15"
    r = client.post(
        "/api/v1/evidence-withdrawals",
        json={
            "station": "JC-M-01",
            "since": f"{day}T00:00:00+08:00",
            "until": f"{day}T23:00:00+08:00",
            "reason": "M站资质被撤销",
        },
        headers=env,
    )
    assert r.status_code == 201 and r.get_json()["outcome"]["tasks"] == [case["id"]], r.get_json()
    tasks = db.session.query(EvidenceTask).filter_by(case_id=case["id"], record_kind="repair").all()
    assert len(tasks) == 1 and tasks[0].state == "open"
    # The case step stays as recorded (never undone silently); a later retest still decides, and a
    # withdrawn retest opens a task in turn.
    test = post_test("晋E12345", f"{NOV}-16T10:00:00+08:00", passed=True, kind="inspection")
    body = client.get(f"/api/v1/cases/{case['id']}", headers=env).get_json()
    assert body["state"] == "closed_released" and body["retest_report"] == test["report_number"]
    r = client.post(
        "/api/v1/evidence-withdrawals",
        json={
            "station": "JC-I-01",
            "since": f"{NOV}-16T00:00:00+08:00",
            "until": f"{NOV}-17T00:00:00+08:00",
            "reason": "I站检测线未检定",
        },
        headers=env,
    )
    assert r.status_code == 201 and r.get_json()["outcome"]["tasks"] == [case["id"]], r.get_json()
    kinds = {t.record_kind for t in db.session.query(EvidenceTask).filter_by(case_id=case["id"])}
    assert kinds == {"repair", "roadside_test"}


def test_a_device_withdrawal_names_passes_only(client, auth_headers, station_factory):
    station_factory("JC-RS-01", "remote_sensing")
    env = auth_headers("environment")
    day = beijing_today() - timedelta(days=1)
    body = {"station": "JC-RS-01", "device": "D1", **_period(day), "reason": REASON, "kinds": ["repair"]}
    r = client.post("/api/v1/evidence-withdrawals", json=body, headers=env)
    assert r.status_code == 422 and "device" in r.get_json()["error"]["fields"]
