"""Pending plates are re-read from the stored photo by the `inspections.read_plate` background task."""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from typing import Any

import pytest


def _photo_jpeg(text: str, color: str) -> bytes:
    """A roadside photo with one plate, rendered now with the plate reader's own synthesiser."""
    cv2 = pytest.importorskip("cv2")
    from tools.plates_training.synth import PlateSpec, render_scene

    img, _ = render_scene(
        [PlateSpec(text, color)], random.Random(11), plate_widths=[300.0], augment=False, max_angle=4.0
    )
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return bytes(buf)


def _photo(content: bytes) -> dict[str, str]:
    return {"name": "plate.jpg", "content_base64": base64.b64encode(content).decode()}


def test_unread_plate_is_read_from_its_photo_and_matched(
    app: Any, post_passes: Any, base_pass: Any, vehicle_factory: Any, client: Any, auth_headers: Any, run_jobs: Any
) -> None:
    """The real reader on a rendered photo: the pass ends exactly as a direct read of that photo says."""
    reading = pytest.importorskip("plates.reading")
    from plates import normalize_plate
    from vehicle_enforce import signals

    vid = vehicle_factory("晋E12345", "yellow")
    jpeg = _photo_jpeg("晋E12345", "yellow")
    from plates.reading.reader import DOUBTFUL_BELOW

    direct = max(reading.read_plates(jpeg), key=lambda r: r.confidence, default=None)
    confident = direct is not None and direct.confidence >= DOUBTFUL_BELOW  # the reader's own threshold
    got: list[Any] = []
    with signals.verdicts_stored.connected_to(lambda _sender, verdicts: got.extend(verdicts)):
        res = post_passes(base_pass(plate="无车牌", plate_color="unknown", opacity_pct=45.0, photos=[_photo(jpeg)]))
        (item,) = res.get_json()["results"]
        assert (item["plate_status"], item["vehicle_id"]) == ("pending", None)  # the answer is given before the read
        url = f"/api/v1/remote-sensing/passes/{item['id']}"
        assert client.get(url, headers=auth_headers("environment")).get_json()["plate_status"] == "pending"
        assert run_jobs() == 1  # the worker reads it, after the request
    stored = client.get(f"/api/v1/remote-sensing/passes/{item['id']}", headers=auth_headers("environment")).get_json()
    if direct is None:  # nothing read: the pass waits, counting toward nothing
        assert (stored["plate"], stored["plate_status"], stored["vehicle_id"], got) == ("", "pending", None, [])
        return
    if not confident:  # a doubtful read is kept for review, and the pass waits, counting toward nothing
        assert (stored["plate"], stored["plate_status"], stored["vehicle_id"], got) == (
            normalize_plate(direct.plate),
            "pending",
            None,
            [],
        )
        return
    assert stored["plate"] == normalize_plate(direct.plate)
    if stored["plate"] == "晋E12345":
        assert (stored["plate_status"], stored["vehicle_id"]) == ("matched", vid)
        assert [(e.source, e.vehicle_id, e.verdict) for e in got] == [("remote_sensing", vid, "exceed")]
    else:
        assert stored["plate_status"] != "pending"


@dataclass
class _StubReading:
    plate: str
    color: str
    confidence: float


def test_wiring_low_confidence_read_goes_through_the_task_with_a_stub_reader(
    app: Any, post_passes: Any, base_pass: Any, vehicle_factory: Any, client: Any, auth_headers: Any, run_jobs: Any
) -> None:
    """Wiring only: a stub reader injected through PLATE_READER_OVERRIDE (the real reader is tested above)."""
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles import plate_reading

    vid = vehicle_factory("晋E8A123", "yellow")
    seen: list[bytes] = []

    def stub(content: bytes) -> list[_StubReading]:
        seen.append(content)
        return [_StubReading("晋E8A123", "yellow", 0.97), _StubReading("晋E8A12", "yellow", 0.4)]

    plate_reading.PLATE_READER_OVERRIDE = stub
    try:
        photo = b"\xff\xd8\xff" + b"stub-photo"
        body = {
            "passes": [
                # below the 0.8 threshold with a photo: pending until the photo is read
                base_pass(record_id="low", plate="晋E8A1Z3", plate_confidence=0.5, photos=[_photo(photo)]),
                # below the threshold without a photo: matched on what was read
                base_pass(record_id="nophoto", plate="晋E8A123", plate_confidence=0.5),
                # confident read: never re-read
                base_pass(record_id="sure", plate="晋E8A123", plate_confidence=0.9, photos=[_photo(photo)]),
            ]
        }
        low, nophoto, sure = post_passes(body).get_json()["results"]
        assert seen == []  # nothing is read inside the request
        assert run_jobs() == 1
    finally:
        plate_reading.PLATE_READER_OVERRIDE = None
    assert seen == [photo]
    assert low["plate_status"] == "pending"
    assert nophoto["vehicle_id"] == vid and sure["vehicle_id"] == vid
    detail = client.get(f"/api/v1/remote-sensing/passes/{low['id']}", headers=auth_headers("police")).get_json()
    assert (detail["plate"], detail["vehicle_id"], detail["plate_confidence"]) == ("晋E8A123", vid, 0.97)
    assert db.session.query(AuditEntry).filter_by(action="remote_sensing.plate_read").count() == 1


def test_unreadable_photo_leaves_the_pass_pending(
    app: Any, post_passes: Any, base_pass: Any, client: Any, auth_headers: Any, run_jobs: Any
) -> None:
    pytest.importorskip("cv2")
    res = post_passes(base_pass(plate="", plate_color="unknown", photos=[_photo(b"\xff\xd8\xffnot really a jpeg")]))
    assert run_jobs() == 1
    pid = res.get_json()["results"][0]["id"]
    detail = client.get(f"/api/v1/remote-sensing/passes/{pid}", headers=auth_headers("police")).get_json()
    assert (detail["plate_status"], detail["vehicle_id"]) == ("pending", None)


def test_a_read_below_the_readers_own_threshold_is_kept_as_doubtful_never_dropped(
    app: Any, post_passes: Any, base_pass: Any, vehicle_factory: Any, client: Any, auth_headers: Any, run_jobs: Any
) -> None:
    """Shipped configuration: the reader's threshold is its calibrated one, not the one judging devices'
    confidences. A read below it is doubtful: the pass keeps it (a pass without a plate takes it; one with
    the device's read keeps that) and waits for review; a read between the two thresholds is acted on."""
    from plates.reading.reader import DOUBTFUL_BELOW
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles import plate_reading

    assert app.config["PLATE_READER_CONFIDENCE_THRESHOLD"] is None  # as shipped
    assert plate_reading.reader_threshold() == DOUBTFUL_BELOW
    device_threshold = app.config["PLATE_CONFIDENCE_THRESHOLD"]
    assert device_threshold != DOUBTFUL_BELOW
    doubtful = DOUBTFUL_BELOW - 0.05
    vid = vehicle_factory("晋E8A123", "yellow")
    photo = _photo(b"\xff\xd8\xff" + b"stub-photo")

    plate_reading.PLATE_READER_OVERRIDE = lambda content: [_StubReading("晋E8A123", "yellow", doubtful)]
    try:
        body = {
            "passes": [
                base_pass(record_id="unread", plate="", plate_color="unknown", photos=[photo]),
                base_pass(record_id="devread", plate="晋E8A1Z3", plate_confidence=0.5, photos=[photo]),
            ]
        }
        unread, devread = post_passes(body).get_json()["results"]
        assert run_jobs() == 2
        between = (min(DOUBTFUL_BELOW, device_threshold) + max(DOUBTFUL_BELOW, device_threshold)) / 2
        plate_reading.PLATE_READER_OVERRIDE = lambda content: [_StubReading("晋E8A123", "yellow", between)]
        third_pass = base_pass(record_id="acted", plate="", plate_color="unknown", photos=[photo])
        (acted,) = post_passes(third_pass).get_json()["results"]
        assert run_jobs() == 1
    finally:
        plate_reading.PLATE_READER_OVERRIDE = None
    headers = auth_headers("police")
    first = client.get(f"/api/v1/remote-sensing/passes/{unread['id']}", headers=headers).get_json()
    second = client.get(f"/api/v1/remote-sensing/passes/{devread['id']}", headers=headers).get_json()
    assert (first["plate"], first["plate_status"], first["vehicle_id"]) == ("晋E8A123", "pending", None)
    assert first["plate_confidence"] == pytest.approx(doubtful)
    assert (second["plate"], second["plate_status"], second["vehicle_id"]) == ("晋E8A1Z3", "pending", None)
    entries = db.session.query(AuditEntry).filter_by(action="remote_sensing.plate_read_doubtful").all()
    assert len(entries) == 2
    third = client.get(f"/api/v1/remote-sensing/passes/{acted['id']}", headers=headers).get_json()
    if between >= DOUBTFUL_BELOW:  # as shipped: the reader's threshold lies below the devices'
        assert (third["plate"], third["plate_status"], third["vehicle_id"]) == ("晋E8A123", "matched", vid)
        assert db.session.query(AuditEntry).filter_by(action="remote_sensing.plate_read").count() == 1
    else:
        assert (third["plate_status"], third["vehicle_id"]) == ("pending", None)
