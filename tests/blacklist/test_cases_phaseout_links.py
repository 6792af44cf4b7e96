"""Links between domains: scrapping closes the case; a scrapped vehicle seen again raises an alert."""

from __future__ import annotations

from sqlalchemy import select

from tests.blacklist.conftest import NOV, active_entries


def test_scrapping_closes_the_open_case_and_sightings_raise_seen_again(vehicle, post_pass, client, auth_headers):
    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout.models import SeenAgainAlert

    vid = vehicle()
    post_pass("晋E12345", f"{NOV}-01T10:00:00+08:00")
    post_pass("晋E12345", f"{NOV}-02T10:00:00+08:00")
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=auth_headers("environment")).get_json()["results"]
    r = client.post(
        "/api/v1/phaseout/actions",
        json={"kind": "scrapped", "action_date": f"{NOV}-10", "vehicle_id": vid, "certificate_no": "BF-2019-001"},
        headers=auth_headers("transport"),
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    closed = client.get(f"/api/v1/cases/{case['id']}", headers=auth_headers("environment")).get_json()
    assert closed["state"] == "closed_scrapped" and active_entries(vid) == []
    # Seen by a remote-sensing station after it was scrapped...
    post_pass("晋E12345", f"{NOV}-20T10:00:00+08:00", exceed=False)
    # ...and by a checkpoint camera.
    client.post(
        "/api/v1/hotlist/check",
        json={
            "reads": [{"plate": "晋E12345", "plate_color": "yellow"}, {"plate": "晋E99999", "plate_color": "blue"}],
            "checkpoint": "G207-01",
        },
        headers=auth_headers("police"),
    )
    sources = sorted(
        a.source for a in db.session.scalars(select(SeenAgainAlert).where(SeenAgainAlert.vehicle_id == vid))
    )
    assert sources == ["checkpoint", "remote_sensing"]
