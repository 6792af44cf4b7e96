"""The transport bureau's and the admin's daily tasks in Chromium, each ending in a stored result and
screenshots on a desktop (1366×900) and a phone (390×844).

Transport: open the phase-out page, drill down into a township's remaining trucks, download the XLSX and
check its numbers against the database. Admin: create a user (one-time password), find that action in
the audit-log viewer, and the new person logs in with the password shown.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.phaseout.conftest import VEHICLES, county  # noqa: F401  (the hand-checked county)
from tests.web.conftest import _watched, login, screenshot
from tests.web.test_web_departments import ALLOWED, ENGLISH

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


def assert_chinese(pg) -> None:
    """No English in <main>, identifiers marked translate="no" (login names, codes as recorded) aside."""
    text = pg.evaluate(
        "() => { const m = document.querySelector('main').cloneNode(true);"
        " m.querySelectorAll('[translate=no]').forEach(e => e.remove()); return m.innerText }"
    )
    words = {w for w in ENGLISH.findall(text) if w not in ALLOWED}
    assert not words, f"untranslated English on {pg.url}: {sorted(words)}"


def _chart_drawn(pg) -> None:
    """Wait until the browser has decoded the chart (drawn by matplotlib on the first request)."""
    pg.wait_for_function(
        "() => { const i = document.querySelector('#phaseout-chart'); return i && i.complete && i.naturalWidth > 0 }",
        timeout=60000,
    )


def _remaining_in_db(township_id: int, as_of: date) -> set[str]:
    from sqlalchemy import select

    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout import eligibility
    from vehicle_enforce.phaseout.rules import current_rules
    from vehicle_enforce.vehicles.models import Vehicle

    stmt = select(Vehicle.plate).where(
        eligibility.eligible_clause(current_rules()),
        eligibility.not_phased_out(as_of),
        Vehicle.township_id == township_id,
    )
    return set(db.session.scalars(stmt))


def test_transport_drills_down_into_a_township_and_downloads_the_xlsx(
    live_server,
    browser,
    make_user,
    county,  # noqa: F811
    backend,
):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor
    from vehicle_enforce.phaseout import actions
    from vehicle_enforce.phaseout.models import ActionKind
    from vehicle_enforce.phaseout.schemas import ActionIn

    actions.record_action(
        ActionIn(
            kind=ActionKind.scrapped,
            action_date=date(2019, 6, 3),
            vehicle_id=county.vehicles["b1"],
            certificate_no="BF-2019-0603",
        ),
        actor=Actor("user", 9, "jiaotong", "transport"),
    )
    transaction.commit()
    make_user("jiaotong", "transport", display_name="交通局 李四")
    as_of = date(2019, 12, 31)
    with _watched(browser, viewport=DESKTOP, accept_downloads=True) as pg:
        login(pg, live_server, "jiaotong", "browser-pass-1")
        pg.click("#menu >> text=国三淘汰进度")
        pg.fill("input[name=as_of]", as_of.isoformat())
        pg.click("button:has-text('查看')")
        _chart_drawn(pg)
        assert "辆" in pg.inner_text("#townships thead") and "北京时间" in pg.inner_text("main")
        assert_chinese(pg)
        screenshot(pg, f"transport-phaseout-desktop-{backend.name}")
        pg.click("#townships >> text=巴公镇")
        pg.wait_for_load_state("networkidle")
        assert "巴公镇：尚未淘汰的车辆" in pg.inner_text("h1")
        shown = set(pg.locator("#remaining .plate").all_inner_texts())
        stored = _remaining_in_db(county.bagong, as_of)
        assert shown == stored and VEHICLES["b1"][0] not in shown and len(shown) == 8
        assert_chinese(pg)
        screenshot(pg, f"transport-phaseout-township-desktop-{backend.name}")
        pg.go_back()
        with pg.expect_download() as download_info:
            pg.click("#download-xlsx")
        download = download_info.value
        assert download.suggested_filename == f"phaseout-progress-{as_of.isoformat()}.xlsx"
        workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    sheet = workbook["淘汰进度"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "乡镇")
    titles = rows[header]
    bagong = next(row for row in rows[header + 1 :] if row[0] == "巴公镇")
    assert bagong[titles.index("已淘汰（辆）")] == 1
    assert bagong[titles.index("剩余应淘汰（辆）")] == len(_remaining_in_db(county.bagong, as_of)) == 8
    gaodu = next(row for row in rows[header + 1 :] if row[0] == "高都镇")
    assert gaodu[titles.index("剩余应淘汰（辆）")] == len(_remaining_in_db(county.gaodu, as_of))
    assert "国三及以下排放标准营运柴油货车淘汰进度表" in str(rows[0][0])
    # The phone: the one-column chart and the township's trucks as cards.
    with _watched(browser, **PHONE) as phone:
        login(phone, live_server, "jiaotong", "browser-pass-1")
        phone.goto(f"{live_server}/ops/phaseout/?as_of={as_of.isoformat()}", wait_until="domcontentloaded")
        _chart_drawn(phone)
        assert phone.evaluate("document.querySelector('#phaseout-chart').currentSrc").endswith("layout=phone")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1
        screenshot(phone, f"transport-phaseout-phone-{backend.name}")
        phone.goto(f"{live_server}/ops/phaseout/townships/{county.bagong}?as_of={as_of.isoformat()}")
        assert set(phone.locator("#remaining .plate").all_inner_texts()) == stored
        screenshot(phone, f"transport-phaseout-township-phone-{backend.name}")


def test_admin_creates_a_user_and_finds_it_in_the_audit_log(live_server, browser, make_user, backend):
    from sqlalchemy import select

    from vehicle_enforce.auth.models import User
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    make_user("guanli", "admin", display_name="系统管理员 王五")
    with _watched(browser, viewport=DESKTOP) as pg:
        login(pg, live_server, "guanli", "browser-pass-1")
        pg.click("#menu >> text=用户管理")
        pg.fill("#new-user input[name=username]", "zhangsan")
        pg.fill("#new-user input[name=display_name]", "环境局执法员 张三")
        pg.select_option("#new-user select[name=department]", "environment")
        pg.click("#new-user button:has-text('创建用户')")
        pg.wait_for_load_state("networkidle")
        password = pg.inner_text("#one-time-password").strip()
        assert "只显示这一次" in pg.inner_text("#issued")
        assert_chinese(pg)
        screenshot(pg, f"admin-user-created-desktop-{backend.name}")
        db.session.expire_all()
        user = db.session.scalar(select(User).where(User.username == "zhangsan"))
        assert user is not None and user.display_name == "环境局执法员 张三" and user.department == "environment"
        # The audit log: filtered by action and person, the creation is there, by display name.
        pg.click("text=审计日志")
        pg.select_option("#audit-filters select[name=action]", "user.create")
        pg.fill("#audit-filters input[name=person]", "王五")
        pg.click("#audit-filters button:has-text('筛选')")
        pg.wait_for_load_state("networkidle")
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "user.create", AuditEntry.object_id == str(user.id))
        )
        assert entry is not None and entry.actor_name == "guanli" and entry.department == "admin"
        row = pg.inner_text(f"#entry-{entry.id}")
        assert "系统管理员 王五" in row and "新建用户" in row and f"用户账号 第 {user.id} 号" in row
        assert pg.locator("#audit tbody tr").count() == 1
        assert_chinese(pg)
        screenshot(pg, f"admin-audit-log-desktop-{backend.name}")
        pg.click(f"#entry-{entry.id} >> text=查看")
        assert "zhangsan" in pg.inner_text("main")
        screenshot(pg, f"admin-audit-entry-desktop-{backend.name}")
    with _watched(browser, **PHONE) as phone:
        login(phone, live_server, "guanli", "browser-pass-1")
        phone.goto(f"{live_server}/ops/admin/audit?action=user.create")
        assert "系统管理员 王五" in phone.inner_text(f"#entry-{entry.id}")
        screenshot(phone, f"admin-audit-log-phone-{backend.name}")
        phone.goto(f"{live_server}/ops/admin/users")
        screenshot(phone, f"admin-users-phone-{backend.name}")
    # The new person logs in with the one-time password.
    with _watched(browser, viewport=DESKTOP) as newcomer:
        login(newcomer, live_server, "zhangsan", password)
        assert "环境局执法员 张三" in newcomer.inner_text("header")
