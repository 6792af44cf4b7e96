"""Station operator on a phone: upload the camera photo, see the plate read and matched, confirm, see the verdict."""

from __future__ import annotations

import pytest

from tests.web.conftest import login, screenshot
from tests.web.test_web_departments import assert_chinese

pytestmark = pytest.mark.browser


def test_operator_reads_the_plate_from_a_photo_confirms_it_and_sees_the_verdict(
    app, live_server, phone_page, make_user, station_factory, vehicle_factory, labelled_photo, backend
):
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import EvidenceLink, RoadsideTest

    path, plate, colour = labelled_photo
    station_factory("JC-RD-01", "roadside", name="泽州县柴油货车联合执法站")
    truck_id = vehicle_factory(plate, colour)
    make_user("luce", "station", station="JC-RD-01")
    page = phone_page

    login(page, live_server, "luce", "browser-pass-1")
    page.goto(f"{live_server}/ops/inspections/roadside-test")
    page.set_input_files("input[name=photo]", str(path))  # read in place from the shared data dir
    page.click("text=识别号牌")
    readings = page.inner_text("#plate-readings")
    assert plate in readings and "置信度" in readings and "精确匹配" in readings, readings
    assert page.input_value("input[name=plate]") == plate
    assert page.input_value("select[name=plate_color]") == colour
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page is {width}px wide on a 390px phone"
    assert_chinese(page)
    screenshot(page, f"station-plate-read-phone-{backend.name}")

    page.select_option("select[name=method]", "ringelmann")
    page.fill("input[name=ringelmann]", "3")
    page.click("text=保存并判定")
    verdict = page.inner_text("#verdict")
    assert plate in verdict and "劝返" in verdict, verdict
    assert "操作员已确认" in verdict and "证据照片已随检测记录保存" in verdict, verdict
    assert_chinese(page)
    screenshot(page, f"station-plate-read-verdict-phone-{backend.name}")

    db.session.expire_all()
    test = db.session.scalars(select(RoadsideTest)).one()
    assert (test.plate, test.plate_color, test.vehicle_id, test.verdict) == (plate, colour, truck_id, "exceed")
    links = db.session.scalars(select(EvidenceLink).where(EvidenceLink.object_type == "roadside_test")).all()
    assert [link.object_id for link in links] == [test.id]
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "roadside.test")).one()
    assert audit.changes["plate_read"]["plate"] == plate and audit.changes["plate_corrected"] is False
