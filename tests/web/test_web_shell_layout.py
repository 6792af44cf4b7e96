"""The app's frame in Chromium: the department's menu beside the page on a 1366x900 desktop, a drawer opened by
the 菜单 button on a 390x844 phone, the current page marked; lists become cards on the phone with each value
named by its column; plate badges never wrap; breadcrumbs on a detail page. Screenshots of each under
test-output/screenshots/shell-*.png."""

from __future__ import annotations

import re

from tests.web.conftest import _watched, login, screenshot
from tests.web.test_web_departments import county

__all__ = ["county"]  # the fixture, imported for this module's tests


def test_desktop_side_menu_marks_the_current_page(live_server, browser, make_user, county):
    make_user("huan", "environment", display_name="环境局执法员 张三")
    with _watched(browser, viewport={"width": 1366, "height": 900}) as pg:
        login(pg, live_server, "huan", "browser-pass-1")
        assert pg.locator(".menu-toggle").is_hidden()
        menu = pg.locator("nav#menu")
        assert menu.is_visible() and menu.get_attribute("aria-label") == "主菜单"
        assert pg.locator("nav#menu a[aria-current=page]").inner_text() == "首页"
        assert pg.locator(".topbar .who").inner_text() == "环境局执法员 张三"  # a person by display name
        screenshot(pg, "shell-home-desktop")

        pg.click("nav#menu >> text=黑名单")
        pg.wait_for_load_state("networkidle")
        assert pg.url.endswith("/ops/blacklist/")
        assert pg.locator("nav#menu a[aria-current=page]").inner_text() == "黑名单"
        box, main = menu.bounding_box(), pg.locator("main").bounding_box()
        assert box and main and box["x"] + box["width"] <= main["x"], "the menu sits beside the page"
        screenshot(pg, "shell-blacklist-desktop")

        pg.goto(f"{live_server}/ops/cases/{county['case_id']}")
        crumbs = pg.locator("nav.breadcrumbs li")
        assert crumbs.all_inner_texts()[:2] == ["首页", "案件看板"]
        assert pg.locator("nav.breadcrumbs [aria-current=page]").inner_text().startswith("案件 ")
        assert pg.locator("nav#menu a[aria-current=page]").inner_text() == "案件看板"  # a case is under the board
        screenshot(pg, "shell-case-desktop")


def test_phone_drawer_and_cards(live_server, phone_page, make_user, county):
    pg = phone_page
    pg.emulate_media(reduced_motion="reduce")  # the drawer opens without sliding: its place is final at once
    make_user("huan", "environment", display_name="环境局执法员 张三")
    login(pg, live_server, "huan", "browser-pass-1")
    toggle, menu = pg.locator(".menu-toggle"), pg.locator("nav#menu")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert menu.is_hidden(), "the drawer is closed"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    menu.wait_for(state="visible")
    assert pg.evaluate("document.getElementById('menu').getBoundingClientRect().left") == 0
    screenshot(pg, "shell-drawer-phone")
    pg.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    menu.wait_for(state="hidden")

    toggle.click()
    menu.wait_for(state="visible")
    pg.click("nav#menu >> text=黑名单")
    pg.wait_for_load_state("networkidle")
    assert pg.url.endswith("/ops/blacklist/") and toggle.get_attribute("aria-expanded") == "false"
    assert pg.locator("nav#menu a[aria-current=page]").text_content() == "黑名单"  # in the closed drawer

    # The list as cards: no header row, each cell named by its column.
    assert pg.locator("table.rows thead").is_hidden()
    first = pg.locator("table.rows tbody tr").first
    assert first.locator("td").first.get_attribute("data-label") == "号牌"
    assert first.evaluate("tr => getComputedStyle(tr).display") == "block"
    plate = first.locator(".plate").first
    assert plate.evaluate("p => getComputedStyle(p).whiteSpace") == "nowrap"
    height = plate.evaluate("p => p.getBoundingClientRect().height")
    line = plate.evaluate("p => parseFloat(getComputedStyle(p).lineHeight) || p.getBoundingClientRect().height")
    assert height <= line * 1.5, "the plate badge stays on one line"
    screenshot(pg, "shell-blacklist-phone")

    pg.goto(f"{live_server}/ops/cases/{county['case_id']}")
    assert pg.locator("nav.breadcrumbs").is_visible()
    screenshot(pg, "shell-case-phone")


#: GET addresses under /ops/ that take no argument and are not pages of their own (so in no menu).
NOT_IN_MENU = {
    "/ops/inspections/roadside-test/check": "the roadside form's check as the operator types (JSON)",
}


def test_every_ops_page_is_in_a_departments_menu(app):
    """A new page is reachable: each argument-less /ops page (files aside) is in auth/menu.py for some
    department (the admin's menu holds them all), or named above with the reason it is not."""
    from vehicle_enforce.auth import menu

    listed = {item.href.split("?")[0] for items in menu.DEPARTMENT_MENUS.values() for item in items}
    listed |= {item.href.split("?")[0] for items in menu.STATION_MENUS.values() for item in items}
    files = re.compile(r"\.(png|svg|csv|xlsx|pdf|json)$")
    pages = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/ops/") and "GET" in (rule.methods or ()) and not rule.arguments
    }
    missing = sorted(p for p in pages if p not in listed and p not in NOT_IN_MENU and not files.search(p))
    assert not missing, f"pages in no department's menu (add them to auth/menu.py): {missing}"
