"""Issue #31 acceptance, the station's and the police's daily tasks in Debian chromium, desktop (1366×900)
and phone (390×844), each ending in what the database stored and a screenshot under test-output/.

- Station: the operator picks the province, types the rest of the plate in lower case, is told as they
  type what is wrong (the server's words), reads the plate from a real camera photo (read in place from
  the shared data set), saves, sees the verdict in view with the registered truck (owner masked) and
  prints the turn-back notice (a numbered PDF); on a phone the next vehicle is entered the same way.
- Police: an officer looks up a listed truck (stop and hand over for penalty, with its case), and a plate
  whose characters are listed under another colour (never "nothing to do": check the plate), sees both
  in today's hits with place, reason and their own display name, and records the penalty on the case.
"""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select

from tests.web.conftest import _watched, login, record_summary_penalty, screenshot
from tests.web.test_web_departments import assert_chinese

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
PAGE = "/ops/inspections/roadside-test"


@contextlib.contextmanager
def _browser_page(browser, size):
    with _watched(browser, **size) as pg:
        yield pg


def _fits_the_phone(pg) -> None:
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"{pg.url} is {width}px wide on a 390px phone"


def test_station_records_a_test_with_a_photo_and_prints_the_notice(
    app, live_server, browser, make_user, station_factory, vehicle_factory, labelled_photo, backend
):
    from playwright.sync_api import expect

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.documents.models import IssuedNotice
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections import evidence
    from vehicle_enforce.inspections.models import RoadsideTest

    path, plate, colour = labelled_photo
    station_factory("JC-RD-01", "roadside", name="泽州县柴油货车联合执法站")
    truck_id = vehicle_factory(plate, colour, owner=("person", "张三丰"))
    other_id = vehicle_factory("晋E66001")
    make_user("luce", "station", station="JC-RD-01", display_name="路检站操作员 李四")

    with _browser_page(browser, DESKTOP) as pg:
        login(pg, live_server, "luce", "browser-pass-1")
        pg.goto(f"{live_server}{PAGE}")
        # The province from the picker, the rest typed in lower case: the box shows it as stored.
        expect(pg.locator("#province-picker")).to_be_hidden()  # opened by its button, closed by a pick
        pg.click("#province-toggle")
        pg.click("#province-picker button[data-province='晋']")
        expect(pg.locator("#province-picker")).to_be_hidden()
        pg.keyboard.type("e1")
        assert pg.input_value("#plate-input") == "晋E1"
        expect(pg.locator(".field-error[data-field='plate']")).to_contain_text("号牌有误")  # the server's words
        pg.fill("input[name=k1]", "0.5")
        pg.fill("input[name=k2]", "25")
        expect(pg.locator(".field-error[data-field='k2']")).to_have_text("不能大于 20")
        pg.fill("input[name=k2]", "0.6")
        expect(pg.locator(".field-error[data-field='k2']")).to_have_count(0)
        # The camera photo, read in place from the shared data set, fills the plate and its colour.
        pg.set_input_files("input[name=photo]", str(path))
        pg.click("text=识别号牌")
        assert pg.input_value("#plate-input") == plate and pg.input_value("select[name=plate_color]") == colour
        pg.select_option("select[name=method]", "free_acceleration")
        for name, value in (("k1", "1.50"), ("k2", "1.60"), ("k3", "1.70")):
            pg.fill(f"input[name={name}]", value)
        pg.click("text=保存并判定")
        verdict = pg.locator("#verdict")
        expect(verdict).to_contain_text("劝返")
        top = pg.evaluate("document.getElementById('verdict').getBoundingClientRect().top")
        assert 0 <= top < 900, f"the verdict is not in view after saving (top {top})"
        registered = pg.inner_text("#registered-vehicle")
        assert "重型货车" in registered and "国三" in registered and "张**" in registered, registered
        assert "张三丰" not in pg.content()  # a station sees a private owner masked
        assert "操作员已确认" in pg.inner_text("#plate-read-note")  # the shipped reader reads this photo surely
        assert_chinese(pg)
        screenshot(pg, f"station-flow-verdict-desktop-{backend.name}")
        # The turn-back notice: a numbered PDF in a new tab.
        notice_answer = "/ops/notices/roadside-tests/"  # answered in the new tab: the context's event
        with pg.context.expect_event("response", lambda r: notice_answer in r.url) as answer:
            pg.click("#print-notice")
        response = answer.value
        assert response.status == 200 and response.headers["content-type"].startswith("application/pdf")

    db.session.expire_all()
    test = db.session.scalars(select(RoadsideTest)).one()
    assert (test.plate, test.plate_color, test.vehicle_id, test.verdict, test.turn_back) == (
        plate,
        colour,
        truck_id,
        "exceed",
        True,
    )
    assert evidence.links_for("roadside_test", [test.id])[test.id], "the photo is kept with the test"
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "roadside.test")).one()
    assert audit.changes["plate_read"]["plate"] == plate
    notice = db.session.scalars(select(IssuedNotice).where(IssuedNotice.subject_type == "roadside_test")).one()
    assert notice.subject_id == test.id and notice.plate == plate

    # On a phone: the next vehicle, its plate from the picker, a passing Ringelmann reading.
    with _browser_page(browser, PHONE) as phone:
        login(phone, live_server, "luce", "browser-pass-1")
        phone.goto(f"{live_server}{PAGE}")
        _fits_the_phone(phone)
        phone.click("#province-toggle")
        phone.click("#province-picker button[data-province='晋']")
        phone.keyboard.type("e66001")
        phone.select_option("select[name=method]", "ringelmann")
        phone.fill("input[name=ringelmann]", "0")
        phone.click("text=保存并判定")
        expect(phone.locator("#verdict")).to_contain_text("合格")
        _fits_the_phone(phone)
        assert_chinese(phone)
        screenshot(phone, f"station-flow-verdict-phone-{backend.name}")
        phone.click("#verdict a.next-vehicle")
        assert phone.input_value("#plate-input") == "" and phone.input_value("select[name=method]") == "ringelmann"

    db.session.expire_all()
    second = db.session.scalars(select(RoadsideTest).where(RoadsideTest.id != test.id)).one()
    assert (second.plate, second.vehicle_id, second.verdict) == ("晋E66001", other_id, "pass")


@pytest.fixture
def listed_trucks(app, station_factory, vehicle_factory):
    """晋E54321 (yellow) listed and its case confirmed by the environment bureau (police act now);
    晋E66666 listed as a blue plate only (a yellow read of it is a doubt, not a clear answer)."""
    from tests.blacklist.conftest import OFFICERS
    from vehicle_enforce.blacklist import services as blacklist_services
    from vehicle_enforce.blacklist.schemas import ManualListing
    from vehicle_enforce.cases import services as case_services
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.cases.schemas import ActionIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor
    from vehicle_enforce.extensions import db

    environment = Actor("user", 1, "环境局执法员", "environment")
    cases = {}
    for plate, colour, reason in (
        ("晋E54321", "yellow", "群众举报冒黑烟，遥感复核超标"),
        ("晋E66666", "blue", "路检林格曼黑度3级，超标"),
    ):
        vehicle_id = vehicle_factory(plate, colour)
        entry = blacklist_services.list_manually(ManualListing(vehicle_id=vehicle_id, reason=reason), actor=environment)
        cases[plate] = db.session.scalars(select(Case).where(Case.entry_id == entry.id)).one().id
    case_services.act(cases["晋E54321"], ActionIn(action="confirm", officers=OFFICERS), actor=environment)
    transaction.commit()
    return cases


def _look_up(pg, plate: str, colour: str) -> str:
    pg.fill("input[name=plate]", plate)
    pg.select_option("select[name=plate_color]", colour)
    pg.fill("input[name=reason]", "G207卡口检查")
    pg.fill("input[name=location]", "G207巴公卡口")
    pg.click("button:has-text('查询')")
    return pg.inner_text("#result")


def test_police_look_up_a_listed_truck_and_one_listed_under_another_colour_and_record_a_penalty(
    app, live_server, browser, make_user, listed_trucks, backend
):
    from vehicle_enforce.blacklist.models import HotlistLookup, HotlistRead
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.extensions import db

    make_user("jiaojing", "police", display_name="交警大队民警 王五")
    case_id = listed_trucks["晋E54321"]

    with _browser_page(browser, DESKTOP) as pg:
        login(pg, live_server, "jiaojing", "browser-pass-1")
        pg.goto(f"{live_server}/ops/police/hotlist")
        result = _look_up(pg, "晋e54321", "yellow")
        assert "命中黑名单" in result and "拦截检查，移交处罚" in pg.inner_text("#action")
        assert pg.get_attribute("#case a", "href") == f"/ops/cases/{case_id}"
        assert "群众举报冒黑烟" in pg.inner_text("#entry") and "重型货车" in pg.inner_text("#vehicle")
        assert_chinese(pg)
        screenshot(pg, f"police-flow-hit-desktop-{backend.name}")
        # Listed as a blue plate only: a yellow read is never "nothing to do".
        result = _look_up(pg, "晋E66666", "yellow")
        assert "号牌颜色与黑名单车辆不同" in pg.inner_text("#action") and "无需处理" not in result
        assert "同号码的其他颜色号牌在黑名单中" in pg.inner_text("#doubts")
        other = pg.inner_text("#other-colours")
        assert "晋E66666" in other and "蓝" in other
        assert pg.get_attribute("#other-colours a", "href") == f"/ops/cases/{listed_trucks['晋E66666']}"
        assert_chinese(pg)
        screenshot(pg, f"police-flow-other-colour-desktop-{backend.name}")
        # Today's hits: both, with place, reason and the officer by display name.
        pg.goto(f"{live_server}/ops/police/hits")
        hits = pg.inner_text("main")
        assert "G207巴公卡口" in hits and "G207卡口检查" in hits and "交警大队民警 王五" in hits
        assert "同号码异色" in hits and "jiaojing" not in hits
        # The penalty on the case (case detail's form).
        pg.goto(f"{live_server}/ops/cases/{case_id}")
        record_summary_penalty(pg, "晋E公交罚〔2019〕031号", "驾驶人 赵某", "王五", "14050031")
        assert "待下达维修" in pg.inner_text("#state")
        screenshot(pg, f"police-flow-penalty-desktop-{backend.name}")

    with _browser_page(browser, PHONE) as phone:
        login(phone, live_server, "jiaojing", "browser-pass-1")
        phone.goto(f"{live_server}/ops/police/hotlist")
        result = _look_up(phone, "晋E66666", "yellow")
        assert "号牌颜色与黑名单车辆不同" in result
        _fits_the_phone(phone)
        screenshot(phone, f"police-flow-other-colour-phone-{backend.name}")
        phone.goto(f"{live_server}/ops/police/hits")
        _fits_the_phone(phone)
        screenshot(phone, f"police-flow-hits-phone-{backend.name}")

    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert (case.state, case.decision_number, case.penalty_department) == (
        "penalized",
        "晋E公交罚〔2019〕031号",
        "police",
    )
    reads = db.session.execute(
        select(HotlistRead.plate, HotlistRead.plate_color, HotlistRead.hit, HotlistRead.location, HotlistLookup.reason)
        .join(HotlistLookup, HotlistLookup.id == HotlistRead.lookup_id)
        .order_by(HotlistRead.id)
    ).all()
    assert [(r.plate, r.plate_color, r.hit) for r in reads] == [
        ("晋e54321", "yellow", "exact"),
        ("晋E66666", "yellow", "colour_differs"),
        ("晋E66666", "yellow", "colour_differs"),
    ]
    assert {(r.location, r.reason) for r in reads} == {("G207巴公卡口", "G207卡口检查")}
