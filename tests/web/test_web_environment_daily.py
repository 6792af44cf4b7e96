"""Environment's daily task in the browser (issue #31, Acceptance): confirm the evidence of a case, review
a black-smoke capture and decide a doubtful plate, each with its photo beside the decision (zoomable),
each decision confirmed in a dialog; the results are read back from the database. Screenshots of every
step on a 1366×900 desktop and a 390×844 phone go under test-output/screenshots/."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select

from tests.blacklist.conftest import NOV
from tests.passes import pass_body
from tests.web.conftest import login, screenshot
from tests.web.test_web_departments import assert_chinese
from tests.web.test_web_evidence import owned

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
OFFICERS = (("李执法", "14050101"), ("王执法", "14050102"))


def _world(client: Any, auth_headers: Any, station_factory: Any, vehicle_factory: Any, photo: bytes) -> dict[str, Any]:
    """A case resting on two exceeding passes (photo), a black-smoke capture (photo) and a doubtful plate."""
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.extensions import db

    station_factory("JC-RS-01", "remote_sensing", name="泽州县巴公遥感监测点", township="巴公镇")
    station_factory("JC-BS-01", "black_smoke", name="泽州县G207黑烟抓拍点", township="巴公镇")
    listed = vehicle_factory("晋E12345", "yellow")
    owned(listed)
    smoky = vehicle_factory("晋E67890", "yellow")
    doubtful = vehicle_factory("晋E23456", "yellow")
    rs = auth_headers("station", station="JC-RS-01")
    image = [{"name": "plate.jpg", "content_base64": base64.b64encode(photo).decode()}]
    for i, (plate, day) in enumerate((("晋E12345", "01"), ("晋E12345", "02"), ("晋E2345G", "03"))):
        body = pass_body(f"DAILY-{i}", f"{NOV}-{day}T10:00:00+08:00", plate=plate, opacity_pct=55.0, photos=image)
        r = client.post("/api/v1/remote-sensing/passes", json=body, headers=rs)
        assert r.status_code in (200, 201), r.get_data(as_text=True)
    capture = {
        "capture_id": "DAILY-BS-1",
        "captured_at": f"{NOV}-04T07:30:00+08:00",
        "site": "G207 巴公段",
        "plate": "晋E67890",
        "plate_color": "yellow",
        "ringelmann": 3,
        "photos": image,
    }
    r = client.post("/api/v1/black-smoke/captures", json=capture, headers=auth_headers("station", station="JC-BS-01"))
    assert r.status_code == 201, r.get_data(as_text=True)
    case_id = db.session.scalar(select(Case.id).where(Case.vehicle_id == listed))
    assert case_id is not None
    return {"case_id": case_id, "capture_id": r.get_json()["id"], "smoky": smoky, "doubtful": doubtful}


def _photo_shown(pg: Any, scope: str) -> None:
    """The photo beside the decision loaded, opens zoomable in the viewer, and Esc closes it."""
    link = pg.locator(f"{scope} a.evidence-photo").first
    img = link.locator("img")
    img.scroll_into_view_if_needed()  # loading="lazy": a photo below the fold (on a phone) loads when seen
    pg.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(), timeout=15_000)
    link.click()
    assert pg.locator("#evidence-lightbox").evaluate("d => d.open")
    pg.click("#evidence-lightbox [data-zoom=in]")
    assert pg.get_attribute("#evidence-lightbox", "data-zoom-level") == "1"
    pg.keyboard.press("Escape")
    assert not pg.locator("#evidence-lightbox").evaluate("d => d.open")


def _decide(pg: Any, button: str) -> None:
    """Press a decision; the dialog asks; confirm it."""
    pg.click(button)
    assert pg.locator("#decision-dialog").evaluate("d => d.open"), "no confirmation was asked"
    with pg.expect_navigation():
        pg.click("#decision-dialog [data-decision-ok]")


def test_environment_confirms_evidence_reviews_black_smoke_and_decides_a_doubtful_plate(
    app: Any,
    client: Any,
    live_server: str,
    page: Any,
    phone_page: Any,
    make_user: Any,
    station_factory: Any,
    vehicle_factory: Any,
    auth_headers: Any,
    photo: Any,
    backend: Any,
) -> None:
    from vehicle_enforce.cases.models import Case, CaseAction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import BlackSmokeCapture
    from vehicle_enforce.reviews.models import MatchReview

    world = _world(client, auth_headers, station_factory, vehicle_factory, photo[0])
    case_id, capture_id = world["case_id"], world["capture_id"]
    make_user("huanbao-daily", "environment", display_name="环境局执法员 张三")
    page.set_viewport_size(DESKTOP)
    login(page, live_server, "huanbao-daily", "browser-pass-1")
    login(phone_page, live_server, "huanbao-daily", "browser-pass-1")
    name = f"environment-daily-{backend.name}"

    # 1. The case: vehicle, owner, evidence with its photo, the stages; confirm the evidence.
    page.goto(f"{live_server}/ops/cases/{case_id}")
    assert "待确认" in page.inner_text("#state")
    assert "车辆类型" in page.inner_text("#vehicle") and "排放标准" in page.inner_text("#vehicle")
    assert page.locator("#steps li.current, #steps li.overdue").count() == 1
    _photo_shown(page, "#evidence")
    phone_page.goto(f"{live_server}/ops/cases/{case_id}")
    screenshot(phone_page, f"{name}-1-case-phone")
    for i, (officer, cert) in enumerate(OFFICERS, start=1):
        page.fill(f"#action-confirm input[name=officer{i}_name]", officer)
        page.fill(f"#action-confirm input[name=officer{i}_cert]", cert)
    screenshot(page, f"{name}-1-case-desktop")
    # Cancelling asks nothing more and stores nothing.
    page.click("#action-confirm button.decision")
    page.click("#decision-dialog button[value=cancel]")
    assert "待确认" in page.inner_text("#state")
    _decide(page, "#action-confirm button.decision")
    assert "已确认证据" in page.inner_text(".flash") and "待处罚" in page.inner_text("#state")
    assert page.locator("#steps li[data-stage=confirmed].done").count() == 1
    assert "环境局执法员 张三" in page.inner_text("#history")
    assert_chinese(page)

    # 2. The black-smoke capture: its photo beside 确认超标 / 驳回.
    page.goto(f"{live_server}/ops/inspections/black-smoke")
    card = f"#capture-{capture_id}"
    _photo_shown(page, card)
    phone_page.goto(f"{live_server}/ops/inspections/black-smoke")
    screenshot(phone_page, f"{name}-2-black-smoke-phone")
    page.fill(f"{card} input[name=note]", "黑烟明显，号牌清晰")
    screenshot(page, f"{name}-2-black-smoke-desktop")
    _decide(page, f"{card} button[value=confirm]")
    assert "审核结果已保存" in page.inner_text(".flash")
    assert page.locator(card).count() == 0
    assert_chinese(page)

    # 3. The doubtful plate, decided on the phone: photo beside the candidates, confirm the vehicle.
    page.goto(f"{live_server}/ops/match-reviews/")
    screenshot(page, f"{name}-3-match-review-desktop")
    phone_page.goto(f"{live_server}/ops/match-reviews/")
    review = phone_page.locator("section.review").first
    assert "晋E2345G" in review.inner_text() and "确认为 晋E23456" in review.inner_text()
    _photo_shown(phone_page, "section.review")
    screenshot(phone_page, f"{name}-3-match-review-phone")
    _decide(phone_page, "section.review button.confirm")
    assert "已确认车辆" in phone_page.inner_text(".flash")
    assert_chinese(phone_page)
    screenshot(phone_page, f"{name}-4-done-phone")

    # The stored results.
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case.state == "confirmed"
    confirm = db.session.scalars(
        select(CaseAction).where(CaseAction.case_id == case_id, CaseAction.action == "confirm")
    ).one()
    assert confirm.actor_name.removeprefix("user:") == "huanbao-daily" and confirm.department == "environment"
    assert [o["certificate_no"] for o in confirm.fields["officers"]] == ["14050101", "14050102"]
    capture = db.session.get(BlackSmokeCapture, capture_id)
    assert capture.review_status == "confirmed" and capture.review_note == "黑烟明显，号牌清晰"
    assert (capture.reviewed_by or "").removeprefix("user:") == "huanbao-daily"
    decided = db.session.scalars(select(MatchReview).where(MatchReview.plate == "晋E2345G")).one()
    assert (decided.state, decided.action, decided.decided_vehicle_id) == ("done", "confirm", world["doubtful"])
