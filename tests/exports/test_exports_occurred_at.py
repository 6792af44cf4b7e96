"""Exports carry when the thing happened: occurred_at is the measured / tested time, and the
transmission-rate day is that day (Beijing), not the day the record was stored."""

from __future__ import annotations

from tests.passes import pass_body


def test_a_backfilled_pass_and_test_count_for_the_day_they_happened(client, auth_headers, station_factory, app):
    station_factory("JC-RS-01", "remote_sensing")
    station_factory("JC-RD-01", "roadside")
    env = auth_headers("environment")
    # 23:30 Beijing on 1 November is 15:30 UTC: the day is the Beijing day, 2019-11-01.
    r = client.post(
        "/api/v1/remote-sensing/passes",
        json=pass_body("LATE-1", "2019-11-01T23:30:00+08:00"),
        headers=auth_headers("station", station="JC-RS-01"),
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    r = client.post(
        "/api/v1/roadside-tests",
        json={
            "kind": "roadside",
            "report_number": "RD-1",
            "method": "ringelmann",
            "tested_at": "2019-11-02T00:10:00+08:00",
            "plate": "晋E12345",
            "plate_color": "yellow",
            "readings": {"ringelmann": 0},
        },
        headers=auth_headers("station", station="JC-RD-01"),
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    first = client.get("/api/v1/exports/missing?day=2019-11-01&target=provincial", headers=env).get_json()["results"]
    assert [(m["kind"], m["due_day"]) for m in first] == [("remote_sensing_pass", "2019-11-01")]
    assert first[0]["occurred_at"].startswith("2019-11-01T15:30:00")
    second = client.get("/api/v1/exports/missing?day=2019-11-02&target=provincial", headers=env).get_json()["results"]
    assert [(m["kind"], m["due_day"]) for m in second] == [("roadside_test", "2019-11-02")]
    status = client.get(
        "/api/v1/exports/status?target=provincial&since=2019-11-01&until=2019-11-02", headers=env
    ).get_json()
    assert {d["due_day"]: d["due"] for d in status["by_day"]} == {"2019-11-01": 1, "2019-11-02": 1}
