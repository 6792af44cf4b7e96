"""The roadside-test page reads the plate from the operator's photo; what the operator sends is what is stored."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

PAGE = "/ops/inspections/roadside-test"


def read(client, content, filename="photo.jpg"):
    response = client.post(
        PAGE,
        data={"action": "read", "station": "JC-RD-01", "photo": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def field(html, name):
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    return found.group(1) if found else None


def save(client, plate, colour, token, status=200, **extra):
    data = {
        "action": "save",
        "station": "JC-RD-01",
        "kind": "roadside",
        "plate": plate,
        "plate_color": colour,
        "method": "ringelmann",
        "ringelmann": "1",
        "photo_token": token,
        **extra,
    }
    response = client.post(PAGE, data=data, content_type="multipart/form-data")
    assert response.status_code == status
    return response.get_data(as_text=True)


def stored_test():
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections import evidence
    from vehicle_enforce.inspections.models import RoadsideTest

    db.session.expire_all()
    test = db.session.scalars(select(RoadsideTest)).one()
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "roadside.test")).one()
    return test, evidence.links_for("roadside_test", [test.id])[test.id], audit.changes


def test_a_corrected_plate_is_what_is_stored_with_the_photo_and_the_read(operator, photo):
    content, plate, colour = photo
    client = operator()
    html = read(client, content)
    assert field(html, "plate") == plate and f'value="{colour}" selected' in html
    token = field(html, "photo_token")
    assert token

    corrected = plate[:-1] + ("8" if plate[-1] != "8" else "7")
    html = save(client, corrected, "yellow", token)

    assert "操作员更正为" in html and "证据照片已随检测记录保存" in html
    test, photos, audit = stored_test()
    assert (test.plate, test.plate_color) == (corrected, "yellow")
    assert [(p["media_type"], p["size"]) for p in photos] == [("image/jpeg", len(content))]
    assert audit["plate_read"]["plate"] == plate and audit["plate_corrected"] is True


def test_a_photo_token_works_only_for_who_uploaded_it(operator, photo):
    content, plate, colour = photo
    token = field(read(operator("luce"), content), "photo_token")
    other = operator("zhandian")

    html = save(other, plate, colour, token, status=400)  # refused: the page is drawn again, with why
    assert "检测记录未保存" in html and "请重新上传照片" in html
    html = save(other, plate, colour, token[:-4] + "AAAA", status=400)
    assert "检测记录未保存" in html
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import RoadsideTest

    assert db.session.scalars(select(RoadsideTest)).all() == []


def test_a_photo_sent_with_the_test_without_reading_is_kept_too(operator, photo):
    content, plate, colour = photo
    html = save(operator(), plate, colour, "", photo=(io.BytesIO(content), "photo.jpg"))
    assert "证据照片已随检测记录保存" in html and "照片识别号牌" not in html
    test, photos, audit = stored_test()
    assert test.plate == plate and len(photos) == 1 and "plate_read" not in audit


def test_a_text_file_is_refused_in_chinese_and_nothing_is_prefilled(operator):
    client = operator()
    html = read(client, "不是照片".encode(), filename="note.txt")
    assert "号牌识别失败：只能上传 JPEG、PNG、BMP 或 WebP 格式的照片" in html
    assert field(html, "photo_token") == ""
    html = client.post(PAGE, data={"action": "read"}, content_type="multipart/form-data").get_data(as_text=True)
    assert "号牌识别失败：请先选择照片" in html


def test_a_doubtful_reading_is_marked_on_the_page(operator, photo):
    """A reading below the reader's own threshold says so in Chinese; a sure one does not."""
    from plates.reading.reader import DOUBTFUL_BELOW
    from plates.reading.types import PlateReading
    from vehicle_enforce.vehicles import plate_reading

    corners = ((0.0, 0.0), (10.0, 0.0), (10.0, 3.0), (0.0, 3.0))
    low = DOUBTFUL_BELOW / 2
    readings = [
        PlateReading("晋E12345", "blue", 0.99, (0.99,) * 7, corners),
        PlateReading("晋E8A123", "yellow", low, (low,) * 7, corners),
    ]
    plate_reading.PLATE_READER_OVERRIDE = lambda content: readings
    try:
        html = read(operator(), photo[0])
    finally:
        plate_reading.PLATE_READER_OVERRIDE = None
    items = re.findall(r"<li>(.*?)</li>", html, re.S)
    sure = next(i for i in items if "晋E12345" in i or "E12345" in i)
    doubtful = next(i for i in items if "8A123" in i)
    assert "需人工核对" in doubtful and "需人工核对" not in sure
