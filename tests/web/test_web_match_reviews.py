"""Environment reviews doubtful plate matches in the browser: photo beside the candidates, one key to confirm."""

from __future__ import annotations

import base64

import pytest

from tests.blacklist.conftest import NOV
from tests.passes import pass_body
from tests.web.conftest import login, screenshot
from tests.web.test_web_departments import assert_chinese

pytestmark = pytest.mark.browser


def _post_pass(client, headers, record_id, when, plate, photo_bytes=None):
    body = pass_body(record_id, when, plate=plate, opacity_pct=55.0)
    if photo_bytes is not None:
        body["photos"] = [{"name": f"{record_id}.jpg", "content_base64": base64.b64encode(photo_bytes).decode()}]
    r = client.post("/api/v1/remote-sensing/passes", json=body, headers=headers)
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    return r.get_json()["results"][0]


def test_environment_confirms_probable_matches_by_keyboard_and_click(
    app, client, live_server, page, make_user, station_factory, vehicle_factory, auth_headers, photo, backend
):
    from sqlalchemy import select

    from vehicle_enforce.blacklist.models import BlacklistEntry
    from vehicle_enforce.extensions import db

    content, _, _ = photo
    station_factory("JC-RS-01", "remote_sensing", name="泽州县遥感监测点")
    vid = vehicle_factory("晋E12345", "yellow")
    station = auth_headers("station", station="JC-RS-01")
    first = _post_pass(client, station, "WEB-1", f"{NOV}-01T10:00:00+08:00", "晋E1234S", content)
    second = _post_pass(client, station, "WEB-2", f"{NOV}-02T10:00:00+08:00", "晋E1234S")
    assert first["match_decision"] == second["match_decision"] == "probable"
    entry = db.session.scalars(select(BlacklistEntry).where(BlacklistEntry.vehicle_id == vid)).one()
    assert entry.evidence_match == "probable"

    make_user("huanbao1", "environment")
    login(page, live_server, "huanbao1", "browser-pass-1")
    from vehicle_enforce.cases.models import Case

    case_id = db.session.scalars(select(Case.id).where(Case.entry_id == entry.id)).one()
    page.goto(f"{live_server}/ops/cases/{case_id}")
    assert "近似匹配" in page.inner_text("#evidence-match")
    page.goto(f"{live_server}/")
    page.click("text=号牌人工核对")
    assert page.inner_text("#open-count") == "2"
    card = page.locator(f"#review-{1}")
    text = card.inner_text()
    assert "晋E1234S" in text and "近似匹配" in text and "确认为 晋E12345（黄牌）" in text, text
    # The photo of the record is shown beside the candidates (served from the evidence store).
    photo = card.locator("img")
    photo.scroll_into_view_if_needed()  # loading="lazy": it loads when seen
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle(), timeout=15_000)
    assert page.evaluate("document.activeElement.classList.contains('confirm')"), "first candidate is not focused"
    assert_chinese(page)
    screenshot(page, f"match-reviews-{backend.name}")

    page.keyboard.press("1")  # one key picks the first record's first candidate, Enter confirms it
    assert "晋E12345" in page.inner_text("#decision-dialog .decision-question")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "已确认车辆" in page.inner_text(".flash")
    assert page.inner_text("#open-count") == "1"
    page.click("#review-2 button.confirm")  # one click, then the confirmation
    with page.expect_navigation():
        page.click("#decision-dialog [data-decision-ok]")
    assert page.inner_text("#open-count") == "0" and "暂无待核对的号牌" in page.inner_text("main")
    assert_chinese(page)

    db.session.expire_all()
    assert db.session.get(BlacklistEntry, entry.id).evidence_match == "confirmed"
    page.goto(f"{live_server}/ops/cases/{case_id}")
    assert "已经人工核对确认" in page.inner_text("#evidence-match")


def test_a_bad_correction_is_refused_in_chinese_and_the_review_stays_open(
    app, client, live_server, page, make_user, station_factory, vehicle_factory, auth_headers
):
    station_factory("JC-RS-01", "remote_sensing")
    vehicle_factory("晋E12345", "yellow")
    _post_pass(client, auth_headers("station", station="JC-RS-01"), "WEB-3", f"{NOV}-01T10:00:00+08:00", "晋E1234S")
    make_user("huanbao2", "environment")
    login(page, live_server, "huanbao2", "browser-pass-1")
    page.goto(f"{live_server}/ops/match-reviews/")
    page.fill("#review-1 input[name=plate]", "晋E1234O")
    page.click("#review-1 >> text=更正号牌")
    with page.expect_navigation():
        page.click("#decision-dialog [data-decision-ok]")
    flash = page.inner_text(".flash")
    assert "未保存" in flash and "字母I和O" in flash, flash
    assert page.inner_text("#open-count") == "1"
    assert_chinese(page)
