"""Each department's main flow in a real browser (Debian chromium), with a screenshot each."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.blacklist.conftest import OFFICERS, SUMMARY
from tests.web.conftest import login, record_summary_penalty, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def county(app, station_factory):
    """Stations, one registered truck and one listed truck whose case the environment bureau confirmed."""
    from vehicle_enforce.blacklist import services as blacklist_services
    from vehicle_enforce.blacklist.schemas import ManualListing
    from vehicle_enforce.cases import services as case_services
    from vehicle_enforce.cases.schemas import ActionIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Vehicle
    from vehicle_enforce.vehicles.registry import plate_key

    station_factory("JC-RD-01", "roadside", name="泽州县柴油货车联合执法站")
    ids = {}
    for p in ("晋E12345", "晋E54321"):
        v = Vehicle(
            plate=p,
            plate_color="yellow",
            plate_key=plate_key(p),
            vehicle_type="heavy_truck",
            fuel="diesel",
            emission_standard=3,
            status="active",
        )
        db.session.add(v)
        db.session.flush()
        ids[p] = v.id
    entry = blacklist_services.list_manually(
        ManualListing(vehicle_id=ids["晋E54321"], reason="群众举报冒黑烟，遥感复核超标"),
        actor=Actor("user", 1, "环境局执法员", "environment"),
    )
    case = db.session.scalars(
        __import__("sqlalchemy").select(case_services.Case).where(case_services.Case.entry_id == entry.id)
    ).one()
    case_services.act(
        case.id, ActionIn(action="confirm", officers=OFFICERS), actor=Actor("user", 1, "huanbao", "environment")
    )
    transaction.commit()
    return {"vehicles": ids, "case_id": case.id}


ENGLISH = re.compile(r"\b[A-Za-z]{4,}\b")
ALLOWED = {"Bearer", "JSON", "OpenAPI", "Excel", "HTTP", "XLSX"}  # names of formats and protocols


def assert_chinese(page):
    words = {w for w in ENGLISH.findall(page.inner_text("main")) if w not in ALLOWED}  # header shows usernames
    assert not words, f"untranslated English on {page.url}: {sorted(words)}"


def test_station_operator_enters_a_test_and_sees_the_turn_back(live_server, page, make_user, county, backend):
    make_user("luce", "station", station="JC-RD-01")
    login(page, live_server, "luce", "browser-pass-1")
    page.click("text=路检 / 入户抽测录入")
    page.fill("input[name=plate]", "晋E12345")
    page.select_option("select[name=method]", "ringelmann")
    page.fill("input[name=ringelmann]", "3")
    page.click("text=保存并判定")
    verdict = page.inner_text("#verdict")
    assert "超标" in verdict and "劝返" in verdict and "林格曼黑度" in verdict and "GB 3847-2018 限值b" in verdict
    assert_chinese(page)
    screenshot(page, f"station-roadside-test-{backend.name}")


def test_station_operator_page_works_on_a_phone(live_server, phone_page, make_user, county, backend):
    make_user("luce2", "station", station="JC-RD-01")
    login(phone_page, live_server, "luce2", "browser-pass-1")
    phone_page.goto(f"{live_server}/ops/inspections/roadside-test")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"page is {width}px wide on a 390px phone"
    screenshot(phone_page, f"station-roadside-test-phone-{backend.name}")


def test_police_lookup_hit_and_record_a_penalty(live_server, page, make_user, county, backend):
    make_user("jiaojing", "police")
    login(page, live_server, "jiaojing", "browser-pass-1")
    page.click("text=黑名单查询")
    page.fill("input[name=plate]", "晋E54321")
    page.fill("input[name=reason]", "G207卡口检查")
    page.click("button:has-text('查询')")
    result = page.inner_text("#result")
    assert "命中" in result and "拦截检查" in result
    # The answer names the vehicle and links the case; the severity is in words.
    assert "重型货车" in page.inner_text("#vehicle") and "国三" in page.inner_text("#vehicle")
    assert "拦截" in page.inner_text("#action")
    assert page.get_attribute("#result a[href^='/ops/cases/']", "href") == f"/ops/cases/{county['case_id']}"
    assert_chinese(page)
    screenshot(page, f"police-hotlist-hit-{backend.name}")
    # The same characters under another colour: never 无需处理, the officer checks the plate.
    page.fill("input[name=plate]", "晋E54321")
    page.select_option("select[name=plate_color]", "blue")
    page.fill("input[name=reason]", "G207卡口检查")
    page.click("button:has-text('查询')")
    assert "号牌颜色与黑名单车辆不同" in page.inner_text("#action")
    assert "晋E54321" in page.inner_text("#other-colours") and "无需处理" not in page.inner_text("#result")
    assert_chinese(page)
    screenshot(page, f"police-hotlist-other-colour-{backend.name}")
    page.goto(f"{live_server}/ops/police/hits")  # kept as a hit of the day, named for what it is
    assert "同号码异色" in page.inner_text("main") and "命中" in page.inner_text("main")
    page.goto(f"{live_server}/ops/police/hotlist")
    # A text that cannot be a plate is refused with the reason, and the legend explains every answer.
    page.fill("input[name=plate]", "晋E1234")
    page.fill("input[name=reason]", "G207卡口检查")
    page.click("button:has-text('查询')")
    assert "车牌长度应为7位" in page.inner_text("main") and page.locator("#result").count() == 0
    page.click("#legend summary")
    assert "登记为已报废或已注销的车辆仍在行驶" in page.inner_text("#legend")
    page.goto(f"{live_server}/ops/cases/{county['case_id']}")
    record_summary_penalty(page, "晋E公交罚〔2019〕001号", "驾驶人 王某", "张警官", "14050001")  # 当场处罚, 200 yuan
    assert "待下达维修" in page.inner_text("#state")
    screenshot(page, f"police-penalty-recorded-{backend.name}")


def test_transport_dashboard_and_repair_order(live_server, page, make_user, county, backend, app):
    from vehicle_enforce.cases import services as case_services
    from vehicle_enforce.cases.schemas import ActionIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor

    case_services.act(
        county["case_id"],
        ActionIn(action="penalize", decision_number="D1", amount_yuan=Decimal(200), **SUMMARY),
        actor=Actor("user", 2, "jiaojing", "police"),
    )
    transaction.commit()
    make_user("jiaotong", "transport")
    login(page, live_server, "jiaotong", "browser-pass-1")
    page.click("text=国三淘汰进度")
    assert "国三及以下柴油货车淘汰进度" in page.inner_text("h1")
    # The chart is drawn by matplotlib on request; wait until the browser has decoded it.
    page.wait_for_function(
        "() => { const i = document.querySelector('img'); return i && i.complete && i.naturalWidth > 0 }", timeout=60000
    )
    assert_chinese(page)
    screenshot(page, f"transport-phaseout-{backend.name}")
    page.goto(f"{live_server}/ops/cases/{county['case_id']}")
    from datetime import timedelta

    from vehicle_enforce.core.timeutil import local_day, now_utc

    page.fill("input[name=due_date]", (local_day(now_utc()) + timedelta(days=15)).isoformat())
    page.click("button:has-text('下达维修通知')")
    with page.expect_navigation():
        page.click("#decision-dialog [data-decision-ok]")
    assert "维修中" in page.inner_text("#state")
    screenshot(page, f"transport-repair-order-{backend.name}")


def test_environment_reviews_and_follows_cases(live_server, page, make_user, county, backend):
    make_user("huanbao", "environment")
    login(page, live_server, "huanbao", "browser-pass-1")
    page.click("text=黑名单")
    assert "群众举报冒黑烟" in page.inner_text("body")
    assert_chinese(page)
    page.goto(f"{live_server}/ops/cases/")
    assert "待处罚" in page.inner_text("table")
    page.goto(f"{live_server}/ops/inspections/passes?verdict=exceed")
    page.goto(f"{live_server}/ops/inspections/black-smoke")
    assert "暂无待审核" in page.inner_text("body")
    screenshot(page, f"environment-black-smoke-{backend.name}")


@pytest.mark.parametrize(
    ("department", "path", "expected"),
    [
        ("police", "/ops/phaseout/", 403),
        ("police", "/ops/inspections/black-smoke", 403),
        ("transport", "/ops/police/hotlist", 403),
        ("transport", "/ops/inspections/black-smoke", 403),
        ("station", "/ops/cases/", 403),
        ("station", "/ops/police/hotlist", 403),
        ("environment", "/ops/police/hotlist", 403),
        ("housing", "/ops/cases/", 403),
        ("police", "/ops/police/hotlist", 200),
        ("transport", "/ops/phaseout/", 200),
        ("environment", "/ops/cases/", 200),
    ],
)
def test_page_access_by_department(app, make_user, department, path, expected):
    kwargs = {"station": "JC-RD-01"} if department == "station" else {}
    if department == "station":
        from vehicle_enforce.core import actors
        from vehicle_enforce.inspections import stations

        if stations.station_by_code("JC-RD-01") is None:
            stations.create_station(code="JC-RD-01", kind="roadside", name="路检站", actor=actors.system("test"))
    username, password = make_user(f"u-{department}", department, **kwargs)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password})
    response = client.get(path)
    assert response.status_code == expected
    if expected == 403:
        assert "无权访问" in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(app):
    response = app.test_client().get("/ops/cases/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
