"""Vehicle registry API: register (upsert), idempotent retries, validation, access and township scoping."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

# A real-format unified social credit code with a valid GB 32100 check character.
CREDIT_CODE = "91350100M000100Y43"


def body(**overrides):
    data = {
        "plate": "晋E12345",
        "plate_color": "yellow",
        "vin": "1M8GDM9AXKP042788",
        "vehicle_type": "heavy_truck",
        "fuel": "diesel",
        "emission_standard": 3,
        "registration_date": "2012-05-04",
        "use": "operating",
        "owner": {"kind": "enterprise", "name": "泽州县鑫达物流有限公司", "credit_code": CREDIT_CODE},
        "township": "巴公镇",
    }
    data.update(overrides)
    return data


def count(model):
    from vehicle_enforce.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def audit_actions():
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_create_then_retry_then_update(client, auth_headers):
    from vehicle_enforce.vehicles.models import Owner, Vehicle

    env = auth_headers("environment")
    first = client.post("/api/v1/vehicles", json=body(plate="晋e·12345"), headers=env)
    assert first.status_code == 201, first.json
    created = first.json
    assert created["plate"] == "晋E12345" and created["created"] is True
    assert created["owner"]["credit_code"] == CREDIT_CODE
    assert created["township"]["name"] == "巴公镇"
    assert created["vin_warning"] is None and created["emission_standard_inferred"] is False

    retry = client.post("/api/v1/vehicles", json=body(), headers=env)
    assert retry.status_code == 200 and retry.json["id"] == created["id"]
    assert retry.json["changed"] == []
    assert count(Vehicle) == 1 and count(Owner) == 1
    assert audit_actions().count("vehicle.create") == 1 and "vehicle.update" not in audit_actions()

    update = client.post(
        "/api/v1/vehicles",
        json={**body(emission_standard=4), "use": "non_operating"},
        headers=auth_headers("transport"),
    )
    assert update.status_code == 200, update.json
    assert update.json["changed"] == ["emission_standard", "use"]
    assert update.json["emission_standard"] == 4
    assert count(Vehicle) == 1
    assert audit_actions().count("vehicle.update") == 1


def test_same_plate_other_colour_is_another_vehicle(client, auth_headers):
    env = auth_headers("environment")
    yellow = client.post("/api/v1/vehicles", json=body(), headers=env)
    blue = client.post("/api/v1/vehicles", json=body(plate_color="蓝", vehicle_type="light_truck"), headers=env)
    assert yellow.status_code == blue.status_code == 201
    assert yellow.json["id"] != blue.json["id"] and blue.json["plate_color"] == "blue"


def test_fields_left_out_keep_their_values(client, auth_headers):
    env = auth_headers("environment")
    client.post("/api/v1/vehicles", json=body(), headers=env)
    minimal = {"plate": "晋E12345", "plate_color": "yellow", "vehicle_type": "heavy_truck", "fuel": "diesel"}
    again = client.post("/api/v1/vehicles", json=minimal, headers=env)
    assert again.status_code == 200
    assert again.json["vin"] == "1M8GDM9AXKP042788" and again.json["emission_standard"] == 3
    assert again.json["owner"]["credit_code"] == CREDIT_CODE and again.json["registration_date"] == "2012-05-04"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"plate": "晋E1234"}, "plate"),
        ({"plate": "晋E12$45"}, "plate"),
        ({"plate": "X晋E1234"}, "plate"),
        ({"plate_color": "purple"}, "plate_color"),
        ({"plate_color": "unknown"}, "plate_color"),
        ({"plate": "晋ED12345", "plate_color": "yellow"}, "plate_color"),
        ({"vin": "1M8GDM9AXKP04278"}, "vin"),
        ({"vin": "1M8GDM9AXKPO42788"}, "vin"),
        ({"vehicle_type": "spaceship"}, "vehicle_type"),
        ({"fuel": "coal"}, "fuel"),
        ({"emission_standard": 7}, "emission_standard"),
        ({"emission_standard": "国三"}, "emission_standard"),
        ({"registration_date": "04/05/2012"}, "registration_date"),
        ({"use": "private"}, "use"),
        ({"township": "不存在镇"}, "township"),
        ({"owner": {"kind": "enterprise", "name": "某公司"}}, "owner.credit_code"),
        ({"owner": {"kind": "enterprise", "name": "某公司", "credit_code": "91350100M000100Y44"}}, "owner.credit_code"),
        ({"owner": {"kind": "robot", "name": "x"}}, "owner.kind"),
        ({"colour": "yellow"}, "colour"),
    ],
)
def test_invalid_field_is_named_and_nothing_is_stored(client, auth_headers, overrides, field):
    from vehicle_enforce.vehicles.models import Owner, Vehicle

    response = client.post("/api/v1/vehicles", json=body(**overrides), headers=auth_headers("environment"))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"], response.json
    assert count(Vehicle) == 0 and count(Owner) == 0


def test_missing_required_fields_and_malformed_json(client, auth_headers):
    env = auth_headers("environment")
    missing = client.post("/api/v1/vehicles", json={"plate": "晋E12345"}, headers=env)
    assert missing.status_code == 422
    assert {"plate_color", "vehicle_type", "fuel"} <= set(missing.json["error"]["fields"])
    broken = client.post("/api/v1/vehicles", data="{not json", content_type="application/json", headers=env)
    assert broken.status_code == 400 and broken.json["error"]["code"] == "bad_request"


def test_wrong_vin_check_digit_is_a_warning_not_a_refusal(client, auth_headers):
    response = client.post("/api/v1/vehicles", json=body(vin="1M8GDM9A1KP042788"), headers=auth_headers("environment"))
    assert response.status_code == 201
    assert "expected X" in response.json["vin_warning"]


def test_unknown_standard_is_inferred_and_flagged(client, auth_headers):
    env = auth_headers("environment")
    old = client.post(
        "/api/v1/vehicles", json=body(emission_standard=None, registration_date="2013-06-30"), headers=env
    )
    assert old.json["emission_standard"] == 3 and old.json["emission_standard_inferred"] is True
    new = client.post(
        "/api/v1/vehicles",
        json=body(plate="晋E54321", emission_standard=None, registration_date="2013-07-01"),
        headers=env,
    )
    assert new.json["emission_standard"] == 4 and new.json["emission_standard_inferred"] is True
    known = client.post("/api/v1/vehicles", json=body(emission_standard=5), headers=env)
    assert known.json["emission_standard"] == 5 and known.json["emission_standard_inferred"] is False


@pytest.mark.parametrize("department", ["police", "township", "station", "housing"])
def test_only_environment_and_transport_register(client, auth_headers, department):
    headers = auth_headers(department, station="JC-RS-01" if department == "station" else None)
    response = client.post("/api/v1/vehicles", json=body(), headers=headers)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_anonymous_is_refused_before_the_body_is_read(client):
    assert client.post("/api/v1/vehicles", data="{broken", content_type="application/json").status_code == 401


def test_lookup_by_plate_and_colour_and_by_id(client, auth_headers):
    env = auth_headers("environment")
    vid = client.post("/api/v1/vehicles", json=body(), headers=env).json["id"]
    client.post("/api/v1/vehicles", json=body(plate_color="blue", vehicle_type="light_truck"), headers=env)
    police = auth_headers("police")
    both = client.get("/api/v1/vehicles?plate=晋E12345", headers=police).json
    assert len(both["results"]) == 2 and both["next_cursor"] is None
    one = client.get("/api/v1/vehicles?plate=晋e12345&plate_color=黄色", headers=police).json["results"]
    assert [v["id"] for v in one] == [vid]
    detail = client.get(f"/api/v1/vehicles/{vid}", headers=auth_headers("station", station="JC-RS-01"))
    assert detail.status_code == 200 and detail.json["history"] == {"blacklist": [], "cases": []}
    assert client.get("/api/v1/vehicles/999999", headers=police).status_code == 404
    bad = client.get("/api/v1/vehicles?plate_color=purple", headers=police)
    assert bad.status_code == 422 and "plate_color" in bad.json["error"]["fields"]
    assert client.get("/api/v1/vehicles?limit=5000", headers=police).status_code == 422
    assert client.get("/api/v1/vehicles?cursor=garbage", headers=police).status_code == 422


def test_listing_pages_with_a_cursor(client, auth_headers):
    env = auth_headers("environment")
    ids = [client.post("/api/v1/vehicles", json=body(plate=f"晋E1234{i}"), headers=env).json["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        url = "/api/v1/vehicles?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=env).json
        seen += [v["id"] for v in page["results"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


def test_township_users_see_only_their_township(client, auth_headers):
    env = auth_headers("environment")
    ours = client.post("/api/v1/vehicles", json=body(township="巴公镇"), headers=env).json["id"]
    theirs = client.post("/api/v1/vehicles", json=body(plate="晋E99999", township="南村镇"), headers=env).json["id"]
    bagong = auth_headers("township", township="巴公镇")
    listed = client.get("/api/v1/vehicles", headers=bagong).json["results"]
    assert [v["id"] for v in listed] == [ours]
    assert client.get(f"/api/v1/vehicles/{ours}", headers=bagong).status_code == 200
    refused = client.get(f"/api/v1/vehicles/{theirs}", headers=bagong)
    missing = client.get("/api/v1/vehicles/999999", headers=bagong)
    # Another township's vehicle answers exactly like a missing one: its existence is not confirmed.
    assert refused.status_code == missing.status_code == 404
    assert refused.json["error"]["code"] == missing.json["error"]["code"]
    assert client.get("/api/v1/vehicles?plate=晋E99999", headers=bagong).json["results"] == []


def test_history_receivers_add_sections(client, auth_headers):
    from vehicle_enforce import signals

    vid = client.post("/api/v1/vehicles", json=body(), headers=auth_headers("environment")).json["id"]

    def inspections(_sender, *, vehicle_id, viewer):
        return {"inspections": [{"vehicle_id": vehicle_id, "verdict": "exceed"}]}

    with signals.vehicle_history_wanted.connected_to(inspections):
        detail = client.get(f"/api/v1/vehicles/{vid}", headers=auth_headers("police")).json
    assert detail["history"]["inspections"] == [{"vehicle_id": vid, "verdict": "exceed"}]
    assert detail["history"]["blacklist"] == [] and detail["history"]["cases"] == []


def test_owner_fleet_and_person_owners(client, auth_headers):
    env = auth_headers("environment")
    for i in range(3):
        client.post("/api/v1/vehicles", json=body(plate=f"晋E5555{i}"), headers=env)
    person = {"kind": "person", "name": "张三", "phone": "13800000000"}
    first = client.post("/api/v1/vehicles", json=body(plate="晋E66666", owner=person), headers=env).json
    again = client.post("/api/v1/vehicles", json=body(plate="晋E66666", owner=person), headers=env).json
    assert first["owner"]["id"] == again["owner"]["id"] and first["owner"]["kind"] == "person"
    owners = client.get(f"/api/v1/owners?credit_code={CREDIT_CODE.lower()}", headers=auth_headers("police")).json
    assert len(owners["results"]) == 1
    owner_id = owners["results"][0]["id"]
    fleet = client.get(f"/api/v1/owners/{owner_id}", headers=env).json["fleet"]
    assert fleet["vehicles"] == 3 and fleet["active_by_emission_standard"] == {"3": 3}
    assert client.get(f"/api/v1/owners/{owner_id}", headers=auth_headers("township")).status_code == 403


@pytest.mark.commits
def test_concurrent_registrations_of_one_plate_make_one_vehicle(app, backend, auth_headers):
    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race only exists on PostgreSQL")
    from vehicle_enforce.vehicles.models import Owner, Vehicle

    headers = auth_headers("environment")
    barrier = threading.Barrier(6)
    statuses = []

    def post():
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            statuses.append(client.post("/api/v1/vehicles", json=body(), headers=headers).status_code)

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 5 + [201]
    assert count(Vehicle) == 1 and count(Owner) == 1
