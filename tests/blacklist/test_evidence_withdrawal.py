"""Bad device data withdrawn: passes stay stored and marked, listings re-judged, releases or tasks, corrections."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.blacklist.conftest import OFFICERS, active_entries, beijing_today


def test_a_device_withdrawal_releases_one_entry_and_opens_a_task_for_another(
    vehicle, post_pass, client, auth_headers, station_factory
):
    from vehicle_enforce.cases.models import Notice
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import WithdrawnPass

    env, police = auth_headers("environment"), auth_headers("police")
    station_factory("JC-RS-02", "remote_sensing")
    day = beijing_today() - timedelta(days=20)
    d = [(day + timedelta(days=i)).isoformat() for i in range(4)]
    a, b, c = vehicle("晋E10001"), vehicle("晋E10002"), vehicle("晋E10003")
    stored = [post_pass("晋E10001", f"{d[0]}T10:00:00+08:00"), post_pass("晋E10001", f"{d[1]}T10:00:00+08:00")]
    post_pass("晋E10002", f"{d[0]}T11:00:00+08:00")
    post_pass("晋E10002", f"{d[1]}T11:00:00+08:00")
    # C: one pass from the faulty station, two from another one.
    post_pass("晋E10003", f"{d[0]}T12:00:00+08:00")
    rs2 = auth_headers("station", station="JC-RS-02")
    from tests.blacklist.conftest import pass_body

    for when in (f"{d[1]}T12:00:00+08:00", f"{d[2]}T12:00:00+08:00"):
        r = client.post(
            "/api/v1/remote-sensing/passes", json=pass_body("晋E10003", when, station="JC-RS-02"), headers=rs2
        )
        assert r.status_code in (200, 201), r.get_json()
    cases = {}
    for vid in (a, b, c):
        [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=env).get_json()["results"]
        cases[vid] = case["id"]
    # B's case has moved on: environment confirmed it.
    r = client.post(f"/api/v1/cases/{cases[b]}/actions", json={"action": "confirm", "officers": OFFICERS}, headers=env)
    assert r.status_code == 200
    cursor = client.get("/api/v1/changes", headers=police).get_json()["next_cursor"]
    body = {
        "station": "JC-RS-01",
        "since": f"{(day - timedelta(days=1)).isoformat()}T00:00:00+08:00",
        "until": f"{d[3]}T00:00:00+08:00",
        "reason": "事后检定发现该站设备校准失效",
    }
    # Refusals first: police may not, a reason and a sensible period are needed, the station must exist.
    assert client.post("/api/v1/evidence-withdrawals", json=body, headers=police).status_code == 403
    r = client.post("/api/v1/evidence-withdrawals", json={**body, "reason": ""}, headers=env)
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/evidence-withdrawals", json={**body, "reason": "  "}, headers=env)
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/evidence-withdrawals", json={**body, "until": body["since"]}, headers=env)
    assert r.status_code == 422 and "until" in r.get_json()["error"]["fields"]
    assert client.post("/api/v1/evidence-withdrawals", json={**body, "station": "NOPE"}, headers=env).status_code == 404
    r = client.post("/api/v1/evidence-withdrawals", json=body, headers=env)
    assert r.status_code == 201, r.get_json()
    outcome = r.get_json()["outcome"]
    assert outcome["passes"] == 5
    # A (case still detected) is released and its case closed; B gets a task; C still holds.
    assert active_entries(a) == [] and len(outcome["released"]) == 1
    assert outcome["tasks"] == [cases[b]] and len(active_entries(b)) == 1
    assert len(active_entries(c)) == 1 and len(outcome["still_listed"]) == 1
    case_a = client.get(f"/api/v1/cases/{cases[a]}", headers=env).get_json()
    assert case_a["state"] == "closed_released" and case_a["entry"]["release_kind"] == "withdrawn"
    case_b = client.get(f"/api/v1/cases/{cases[b]}", headers=env).get_json()
    assert case_b["state"] == "confirmed" and case_b["timeline"][-1]["action"] == "evidence_withdrawn"
    notices = db.session.scalars(select(Notice).where(Notice.case_id == cases[b], Notice.kind == "evidence_withdrawn"))
    assert {n.recipient for n in notices} == {"environment", "police"}
    # The task is an open evidence task in both inboxes, naming the withdrawn pass; the case action once.
    for headers in (env, police):
        tasks = client.get("/api/v1/inbox", headers=headers).get_json()["evidence_tasks"]
        [task] = [t for t in tasks if t["case_id"] == cases[b]]
        assert task["state"] == "open" and task["record_kind"] == "remote_sensing_pass"
        assert task["kind"] == "evidence_withdrawn" and task["details"]["case_state"] == "confirmed"
    assert [t["action"] for t in case_b["timeline"]].count("evidence_withdrawn") == 1
    # The passes stay stored, marked withdrawn.
    r = client.get(f"/api/v1/remote-sensing/passes/{stored[0]['id']}", headers=env)
    assert r.status_code == 200 and r.get_json()["verdict"] == "exceed"
    assert db.session.get(WithdrawnPass, stored[0]["id"]) is not None
    # Police learn it from the change feed: A's release and B's task.
    changes = client.get(f"/api/v1/changes?after={cursor}", headers=police).get_json()["changes"]
    kinds = [(c["kind"], c["payload"].get("action") or c["payload"].get("release_kind")) for c in changes]
    assert ("blacklist_release", "withdrawn") in kinds and ("case_action", "evidence_withdrawn") in kinds
    # The export sends each withdrawn pass as a correction.
    corrections = db.session.scalars(select(ExportRecord).where(ExportRecord.kind == "remote_sensing_pass_withdrawal"))
    assert {r.object_id for r in corrections} >= {str(stored[0]["id"]), str(stored[1]["id"])}
    # A repeated withdrawal finds nothing new.
    r = client.post("/api/v1/evidence-withdrawals", json=body, headers=env)
    assert r.status_code == 201 and r.get_json()["outcome"]["passes"] == 0


def test_a_device_withdrawal_touches_only_that_devices_passes(vehicle, post_pass, client, auth_headers, app):
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections import stations
    from vehicle_enforce.inspections.models import WithdrawnPass

    env = auth_headers("environment")
    vid = vehicle("晋E20001")
    day = beijing_today() - timedelta(days=5)
    post_pass("晋E20001", f"{day.isoformat()}T09:00:00+08:00")  # creates the station JC-RS-01
    stations.add_device(station="JC-RS-01", code="DEV-A", actor=actors.system("test"))
    stations.add_device(station="JC-RS-01", code="DEV-B", actor=actors.system("test"))
    transaction.commit()
    on_a = post_pass("晋E20001", f"{(day + timedelta(days=1)).isoformat()}T09:00:00+08:00", device="DEV-A")
    on_b = post_pass("晋E20001", f"{(day + timedelta(days=2)).isoformat()}T09:00:00+08:00", device="DEV-B")
    assert len(active_entries(vid)) == 1
    body = {
        "station": "JC-RS-01",
        "device": "DEV-A",
        "since": f"{(day - timedelta(days=1)).isoformat()}T00:00:00+08:00",
        "until": f"{(day + timedelta(days=3)).isoformat()}T00:00:00+08:00",
        "reason": "DEV-A 校准证书过期",
    }
    r = client.post("/api/v1/evidence-withdrawals", json=body, headers=env)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["outcome"]["passes"] == 1
    assert db.session.get(WithdrawnPass, on_a["id"]) is not None and db.session.get(WithdrawnPass, on_b["id"]) is None
    # Two other days remain (the device-less pass and DEV-B's): the listing still holds.
    assert len(active_entries(vid)) == 1 and r.get_json()["outcome"]["still_listed"]
    r = client.post("/api/v1/evidence-withdrawals", json={**body, "device": "DEV-X"}, headers=env)
    assert r.status_code == 404 and "device" in r.get_json()["error"]["fields"]
