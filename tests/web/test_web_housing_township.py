"""Housing and township daily work in Chromium, on the demo county, desktop (1366×900) and phone
(390×844): housing registers a machine at a site and records its spot check; a township opens its
part of the month's sampling plan from its home page. Each ends in the stored result and a screenshot.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.conftest import _watched, login, screenshot
from tests.web.test_web_departments import assert_chinese
from tests.web.test_web_every_page_chinese import demo_county  # noqa: F401  (fixture)
from vehicle_enforce.core.actors import SYSTEM

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def month_plan(app, demo_county):  # noqa: F811
    """The month's sampling plan (drawn by the city level when the demo has none for this month)."""
    from vehicle_enforce.core import transaction
    from vehicle_enforce.nrmm import services
    from vehicle_enforce.nrmm.schemas import PlanIn

    with app.app_context():
        if services.plan_of_month(services.this_month(), actor=SYSTEM) is None:
            services.create_plan(PlanIn(month=services.this_month()), actor=SYSTEM)
        transaction.commit()


def _viewport(browser, name: str):
    options = {"viewport": VIEWPORTS[name]}
    if name == "phone":
        options["is_mobile"] = True
    return _watched(browser, **options)


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_housing_registers_a_machine_and_records_its_spot_check(
    app,
    live_server,
    browser,
    demo_county,  # noqa: F811
    viewport,
    backend,
):
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm.models import Machine, Site, SpotCheck

    pin = f"CLG856H-{sorted(VIEWPORTS).index(viewport) + 1}0001"  # a loader's PIN (no English words on the page)
    with _viewport(browser, viewport) as page:
        login(page, live_server, "zhujian", "demo-pass-2019")
        page.goto(f"{live_server}/ops/nrmm/#register")
        form = page.locator("#register form")
        form.locator("input[name=pin]").fill(pin)
        form.locator("select[name=machine_type]").select_option("loader")
        form.locator("input[name=brand]").fill("柳工")
        form.locator("select[name=emission_stage]").select_option("3")
        form.locator("input[name=rated_power_kw]").fill("92")
        site_label = form.locator("select[name=site_id] option").nth(1).inner_text()
        form.locator("select[name=site_id]").select_option(index=1)
        form.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        assert f"已登记机械 {pin}" in page.inner_text("main")

        with app.app_context():
            machine = db.session.scalar(select(Machine).where(Machine.pin == pin))
            assert machine is not None and machine.machine_type == "loader" and machine.rated_power_kw == 92
            assert db.session.get(Site, machine.site_id).name == site_label
            machine_id = machine.id

        page.goto(f"{live_server}/ops/nrmm/?machine={machine_id}#spot-check")
        check = page.locator("#spot-check form")
        assert check.locator("input[name=machine_id]").input_value() == str(machine_id)
        for name, value in (("k1", "0.52"), ("k2", "0.61"), ("k3", "0.57"), ("ringelmann", "1")):
            check.locator(f"input[name={name}]").fill(value)
        check.locator("button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        assert "已保存抽测结果：合格" in page.inner_text("main")
        assert_chinese(page)
        screenshot(page, f"housing-machine-spot-check-{viewport}-{backend.name}")

    with app.app_context():
        db.session.expire_all()
        checks = db.session.scalars(select(SpotCheck).where(SpotCheck.machine_id == machine_id)).all()
        assert len(checks) == 1, "one check stored for the new machine"
        (stored,) = checks
        assert stored.verdict == "pass" and [float(k) for k in stored.k_readings] == [0.52, 0.61, 0.57]
        assert stored.site_id == machine.site_id and "zhujian" in stored.inspector


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_township_opens_its_plan_from_its_home_page(app, live_server, browser, month_plan, viewport, backend):
    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm import services
    from vehicle_enforce.nrmm.models import MACHINE_TYPE_ZH, PlanItem

    with app.app_context():
        bagong = db.session.scalar(select(Township).where(Township.name == "巴公镇"))
        plan = services.plan_of_month(services.this_month(), actor=SYSTEM)
        items = db.session.scalars(
            select(PlanItem).where(PlanItem.plan_id == plan.id, PlanItem.township_id == bagong.id)
        ).all()
        expected = {
            str(i.machine_id): (
                MACHINE_TYPE_ZH[i.machine.machine_type],
                i.machine.site.name if i.machine.site else "—",
                i.machine.owner.name if i.machine.owner else "—",
            )
            for i in items
            if i.status == "pending"
        }
    assert expected, "the plan samples machines of 巴公镇"

    with _viewport(browser, viewport) as page:
        login(page, live_server, "bagong", "demo-pass-2019")
        card = page.locator("a[data-card=machines_due]")
        assert card.get_attribute("data-count") == str(len(expected))
        screenshot(page, f"township-dashboard-{viewport}-{backend.name}")
        card.click()
        page.wait_for_load_state("networkidle")
        rows = page.locator("#plan tr[data-row]")
        shown = {}
        for i in range(rows.count()):
            cells = [c.strip() for c in rows.nth(i).locator("td").all_inner_texts()]
            machine_id, _codes, kind, site, township, owner = cells[:6]
            assert township == "巴公镇", cells  # a township sees its own part of the plan only
            shown[machine_id] = (kind, site, owner)
        assert shown == expected
        assert_chinese(page)
        screenshot(page, f"township-plan-{viewport}-{backend.name}")
