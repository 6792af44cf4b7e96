"""POST /api/v1/plates/read: a real photo read by the shipped reader, upload checks, matching and access."""

from __future__ import annotations

import io
import struct
import zlib

import pytest


def register(plate, colour):
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.core.schemas import validate
    from vehicle_enforce.vehicles import services
    from vehicle_enforce.vehicles.schemas import VehicleIn

    data = validate(VehicleIn, {"plate": plate, "plate_color": colour, "vehicle_type": "heavy_truck", "fuel": "diesel"})
    vehicle = services.register_vehicle(data, actor=actors.system("test")).vehicle
    transaction.commit()
    return vehicle.id


def post(client, headers, content, *, filename="photo.jpg", field="image", query=""):
    data = {field: (io.BytesIO(content), filename)} if content is not None else {}
    return client.post(f"/api/v1/plates/read{query}", data=data, headers=headers, content_type="multipart/form-data")


def assert_refused(response, status, field="image"):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
    assert field in body["error"]["fields"], body


def test_real_photo_returns_the_labelled_plate_and_its_registry_match(client, auth_headers, photo):
    content, plate, colour = photo
    vid = register(plate, colour)
    station = auth_headers("station", station="JC-RS-01")

    response = post(client, station, content, query="?match=1")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["elapsed_ms"] > 0
    found = [r for r in body["readings"] if r["plate"] == plate]
    assert found, body["readings"]
    reading = found[0]
    assert reading["color"] == colour
    assert 0 < reading["confidence"] <= 1
    assert len(reading["char_confidences"]) == len(plate)
    assert reading["confidence"] == pytest.approx(min(reading["char_confidences"]), abs=1e-3)
    from plates.reading.reader import DOUBTFUL_BELOW  # the reader's own threshold, as shipped

    assert all(r["doubtful"] == (r["confidence"] < DOUBTFUL_BELOW) for r in body["readings"])
    assert len(reading["corners"]) == 4 and all(len(p) == 2 for p in reading["corners"])
    assert reading["match"]["decision"] == "exact" and reading["match"]["vehicle_id"] == vid
    confidences = [r["confidence"] for r in body["readings"]]
    assert confidences == sorted(confidences, reverse=True)

    plain = post(client, auth_headers("police"), content).get_json()
    assert plate in [r["plate"] for r in plain["readings"]]
    assert all("match" not in r for r in plain["readings"])  # matching only when asked


def test_png_of_the_same_photo_reads_the_same_plate(client, auth_headers, photo):
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    content, plate, _ = photo
    ok, png = cv2.imencode(".png", cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR))
    assert ok
    response = post(client, auth_headers("environment"), bytes(png), filename="photo.png")
    assert response.status_code == 200
    assert plate in [r["plate"] for r in response.get_json()["readings"]]


def test_photo_without_a_plate_has_no_readings(client, auth_headers):
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    ok, blank = cv2.imencode(".jpg", np.full((480, 640, 3), 128, np.uint8))
    assert ok
    response = post(client, auth_headers("transport"), bytes(blank), query="?match=1")
    assert response.status_code == 200
    assert response.get_json()["readings"] == []


def test_a_text_file_is_refused_naming_the_image_field(client, auth_headers):
    response = post(client, auth_headers("station", station="JC-RS-01"), "车牌 晋E12345\n".encode(), filename="a.txt")
    assert_refused(response, 415)
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_a_file_with_jpeg_magic_that_does_not_decode_is_a_400(client, auth_headers):
    response = post(client, auth_headers("police"), b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20)
    assert_refused(response, 400)


def test_an_upload_over_the_limit_is_a_413_naming_the_image(app, client, auth_headers, photo):
    content, _, _ = photo
    police = auth_headers("police")
    assert app.config["PLATE_IMAGE_MAX_BYTES"] == 8 * 1024 * 1024
    app.config["PLATE_IMAGE_MAX_BYTES"] = len(content) - 1  # just over: the body is parsed, the file refused
    assert_refused(post(client, police, content), 413)
    app.config["PLATE_IMAGE_MAX_BYTES"] = 10_000  # far over: refused from Content-Length before parsing
    assert_refused(post(client, police, content), 413)
    app.config["PLATE_IMAGE_MAX_BYTES"] = len(content)
    assert post(client, police, content).status_code == 200


def _png_header(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_a_small_file_declaring_a_huge_image_is_refused_before_decoding(client, auth_headers):
    response = post(client, auth_headers("police"), _png_header(60_000, 60_000), filename="bomb.png")
    assert_refused(response, 413)
    assert response.get_json()["error"]["fields"]["image"] == "too many pixels"


def test_missing_field_and_non_multipart_bodies_are_400(client, auth_headers):
    env = auth_headers("environment")
    assert_refused(post(client, env, None), 400)
    assert_refused(post(client, env, b"\xff\xd8\xff", field="photo"), 400)
    assert_refused(client.post("/api/v1/plates/read", json={"image": "x"}, headers=env), 400)
    assert_refused(post(client, env, b""), 400)


def test_only_stations_and_the_enforcing_departments_may_read(client, auth_headers, photo):
    content, _, _ = photo
    for department in ("township", "housing"):
        response = post(client, auth_headers(department), content)
        assert response.status_code == 403, department
        assert response.get_json()["error"]["code"] == "forbidden"
    assert post(client, {}, content).status_code == 401


def test_openapi_documents_the_upload_and_the_match_option(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/plates/read"]["post"]
    form = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["image"] and form["properties"]["image"]["format"] == "binary"
    assert [p["name"] for p in op["parameters"] if p["in"] == "query"] == ["match"]
    assert sorted(op["x-departments"]) == ["environment", "police", "station", "transport"]
    assert "413" in op["responses"] and "415" in op["responses"]
