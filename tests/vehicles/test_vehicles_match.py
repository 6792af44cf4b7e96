"""POST /api/v1/vehicles/match decisions, link statuses, confirmation audit, and the index that avoids scans."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select, text


def register(plate, colour="yellow", vehicle_type="heavy_truck"):
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.core.schemas import validate
    from vehicle_enforce.vehicles import services
    from vehicle_enforce.vehicles.schemas import VehicleIn

    data = validate(VehicleIn, {"plate": plate, "plate_color": colour, "vehicle_type": vehicle_type, "fuel": "diesel"})
    vehicle = services.register_vehicle(data, actor=actors.system("test")).vehicle
    transaction.commit()
    return vehicle.id


def match(client, headers, plate, colour=None):
    body = {"plate": plate} if colour is None else {"plate": plate, "plate_color": colour}
    response = client.post("/api/v1/vehicles/match", json=body, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_exact_probable_and_none(client, auth_headers):
    vid = register("晋E12345")
    station = auth_headers("station", station="JC-RS-01")
    exact = match(client, station, "晋E12345", "yellow")
    assert exact["decision"] == "exact" and exact["vehicle_id"] == vid
    assert exact["candidates"][0] == {"vehicle_id": vid, "plate": "晋E12345", "plate_color": "yellow", "score": 1.0}
    for misread in ("晋E1234S", "陕E12345", "晋E1Z345"):
        probable = match(client, station, misread, "黄")
        assert probable["decision"] == "probable", misread
        assert probable["vehicle_id"] == vid and probable["candidates"][0]["score"] < 1
    assert match(client, station, "晋E12345", "blue")["decision"] == "none"  # a different vehicle
    assert match(client, station, "晋E99999", "yellow")["decision"] == "none"
    unread = match(client, station, "无车牌")
    assert unread == {"decision": "none", "read": "", "vehicle_id": None, "candidates": []}


def test_ambiguous_reads_link_nothing(client, auth_headers):
    first, second = register("晋E1238S"), register("晋E123B5")
    police = auth_headers("police")
    tie = match(client, police, "晋E123BS", "yellow")
    assert tie["decision"] == "ambiguous" and tie["vehicle_id"] is None
    assert {c["vehicle_id"] for c in tie["candidates"][:2]} == {first, second}
    yellow, blue = register("晋E55555"), register("晋E55555", "blue", "light_truck")
    colourless = match(client, police, "晋E55555")
    assert colourless["decision"] == "ambiguous"
    assert {c["vehicle_id"] for c in colourless["candidates"]} == {yellow, blue}


def test_match_validation_and_access(client, auth_headers):
    env = auth_headers("environment")
    bad = client.post("/api/v1/vehicles/match", json={"plate": "晋E12345", "plate_color": "purple"}, headers=env)
    assert bad.status_code == 422 and "plate_color" in bad.json["error"]["fields"]
    missing = client.post("/api/v1/vehicles/match", json={}, headers=env)
    assert missing.status_code == 422 and "plate" in missing.json["error"]["fields"]
    township = client.post("/api/v1/vehicles/match", json={"plate": "晋E12345"}, headers=auth_headers("township"))
    assert township.status_code == 403


def test_link_status_marks_probable_and_withholds_ambiguous(app):
    from vehicle_enforce.vehicles import matching

    vid = register("晋E12345")
    register("晋E1238S")
    register("晋E123B5")
    assert matching.link_for(matching.match_plate("晋E12345", "yellow")) == (vid, matching.LinkStatus.exact)
    assert matching.link_for(matching.match_plate("晋E1234S", "yellow")) == (vid, matching.LinkStatus.probable)
    assert matching.link_for(matching.match_plate("晋E123BS", "yellow")) == (None, matching.LinkStatus.ambiguous)
    assert matching.link_for(matching.match_plate("晋E00000", "yellow")) == (None, matching.LinkStatus.none)
    batch = matching.match_many([("晋E12345", "yellow"), ("晋E123BS", "yellow"), (None, None)])
    assert [r.decision for r in batch] == ["exact", "ambiguous", "none"]


def test_confirm_match_audits_and_validates(app):
    from vehicle_enforce.core import actors
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.core.errors import Invalid
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles import services

    vid = register("晋E1238S")
    reviewer = actors.Actor("user", 7, "张伟", "environment")
    vehicle = services.confirm_match("remote_sensing_pass", 42, vid, "plate photo shows 8, not B", actor=reviewer)
    assert vehicle.id == vid
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vehicle.match_confirm"))
    assert (entry.object_type, entry.object_id) == ("remote_sensing_pass", "42")
    assert (entry.actor_id, entry.actor_name) == (7, "张伟")
    assert entry.changes == {
        "vehicle_id": vid,
        "plate": "晋E1238S",
        "plate_color": "yellow",
        "reason": "plate photo shows 8, not B",
    }
    with pytest.raises(Invalid) as missing:
        services.confirm_match("remote_sensing_pass", 43, 999999, " ", actor=reviewer)
    assert set(missing.value.fields) == {"vehicle_id", "reason"}


def test_registered_plates_from_the_shared_photos_match_their_misreads(client, auth_headers, shared_dir):
    """Register the labelled plates of the shared photo set; a one-confusion misread still finds each."""
    from plates import validate_plate

    with (shared_dir / "data" / "plates" / "labels.csv").open(encoding="utf-8") as fh:
        labels = [(r["plate"], r["color"]) for r in csv.DictReader(fh) if validate_plate(r["plate"], r["color"]).ok]
    labels = list(dict.fromkeys(labels))
    assert len(labels) >= 20
    ids = {label: register(*label, vehicle_type="car" if label[1] == "blue" else "heavy_truck") for label in labels}
    swaps = str.maketrans("0B8S5Z2", "D8B5S2Z")
    env = auth_headers("environment")
    for (plate, colour), vid in ids.items():
        misread = plate[:2] + plate[2:].translate(swaps)
        result = match(client, env, misread, colour)
        if misread == plate:
            assert result["decision"] == "exact"
        else:
            assert result["decision"] in ("probable", "ambiguous"), (plate, misread, result)
        assert vid in {c["vehicle_id"] for c in result["candidates"]}


def test_candidate_lookup_uses_the_plate_key_index(app, backend):
    from vehicle_enforce.extensions import db

    register("晋E12345")
    if backend.name == "sqlite":
        plan = db.session.execute(
            text("EXPLAIN QUERY PLAN SELECT id, plate, plate_color FROM vehicles WHERE plate_key = :k"), {"k": "E12345"}
        ).all()
        joined = " ".join(str(row[-1]) for row in plan)
        assert "SEARCH" in joined and "ix_vehicles_plate_key" in joined
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.session.execute(
            text("EXPLAIN SELECT id, plate, plate_color FROM vehicles WHERE plate_key = :k"), {"k": "E12345"}
        ).scalars()
        assert "ix_vehicles_plate_key" in " ".join(plan)
        db.session.rollback()
