"""NRMM page actions: draw this month's plan (environment), record spot checks and machines not found."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.web.conftest import login, screenshot
from tests.web.test_web_departments import assert_chinese
from vehicle_enforce.core.actors import SYSTEM


@pytest.fixture
def machines(app):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.nrmm import services
    from vehicle_enforce.nrmm.schemas import MachineIn

    ids = []
    for i in range(12):
        m = services.register_machine(
            MachineIn(
                pin=f"PIN-WEB-{i:03d}",
                machine_type="excavator",
                emission_stage=2,
                fuel="diesel",
                rated_power_kw=75.0,
                registered_on=date(2019, 10, 1),
            ),
            actor=SYSTEM,
        )
        ids.append(m.id)
    transaction.commit()
    return ids


def _client(app, make_user, department):
    username, password = make_user(f"u-{department}", department)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password})
    return client


def _plan():
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm.models import SamplingPlan

    db.session.expire_all()
    return db.session.scalar(select(SamplingPlan))


def _checks():
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm.models import SpotCheck

    return db.session.scalar(select(func.count()).select_from(SpotCheck))


CHECK = {"checked_at": "2026-11-20T10:30", "k1": "1.0", "k2": "1.1", "k3": "0.9", "ringelmann": "1"}


def test_only_environment_draws_the_plan_and_only_once(app, make_user, machines):
    housing = _client(app, make_user, "housing")
    assert "生成本月抽测计划" not in housing.get("/ops/nrmm/").get_data(as_text=True)
    assert housing.post("/ops/nrmm/plan").status_code == 403 and _plan() is None
    env = _client(app, make_user, "environment")
    assert "生成本月抽测计划" in env.get("/ops/nrmm/").get_data(as_text=True)
    text = env.post("/ops/nrmm/plan", follow_redirects=True).get_data(as_text=True)
    plan = _plan()
    assert plan is not None and len(plan.items) == 2 and plan.population == 12  # ceil(10 % of 12)
    assert f"随机种子 {plan.seed}" in text and "待检 2 台" in text
    again = env.post("/ops/nrmm/plan", follow_redirects=True).get_data(as_text=True)
    assert "抽测计划未生成：本月计划已生成" in again


def test_spot_check_on_a_sampled_machine_judges_and_checks_it_off(app, make_user, machines):
    env = _client(app, make_user, "environment")
    env.post("/ops/nrmm/plan")
    item = _plan().items[0]
    text = env.post(
        "/ops/nrmm/spot-checks", data={**CHECK, "machine_id": str(item.machine_id)}, follow_redirects=True
    ).get_data(as_text=True)
    # 国二, 75 kW: class II limit 0.80 m⁻¹; the mean 1.0 exceeds it, an art. 114 violation.
    assert "已保存抽测结果：超标，存在违法行为" in text and "排放超标" in text and "5000 元" in text
    assert "待检 1 台，已检 1 台" in text
    assert [i.status for i in _plan().items if i.id == item.id] == ["checked"]


def test_housing_marks_a_sampled_machine_not_found(app, make_user, machines):
    _client(app, make_user, "environment").post("/ops/nrmm/plan")
    item = _plan().items[1]
    housing = _client(app, make_user, "housing")
    text = housing.post(f"/ops/nrmm/plan/items/{item.id}/not-found", follow_redirects=True).get_data(as_text=True)
    assert f"已记录机械 {item.machine_id} 现场未找到" in text and "未找到 1 台" in text
    assert {i.id: i.status for i in _plan().items}[item.id] == "not_found"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"k3": ""}, "请填写三次光吸收系数读数"),
        ({"checked_at": ""}, "请填写检测时间"),
        ({"machine_id": "abc"}, "机械编号：须为整数"),
        ({"machine_id": "", "pin": ""}, "请填写机械编号或现场查到的PIN"),
        ({"machine_id": "", "pin": "UNKNOWN-PIN"}, "未登记机械须填写额定功率"),
        ({"machine_id": "999999"}, "机械编号不存在"),
    ],
)
def test_refused_spot_checks_are_explained_and_not_stored(app, make_user, machines, fields, message):
    env = _client(app, make_user, "environment")
    data = {**CHECK, "machine_id": str(machines[0]), **fields}
    text = env.post("/ops/nrmm/spot-checks", data=data, follow_redirects=True).get_data(as_text=True)
    assert "抽测结果未保存" in text and message in text
    assert _checks() == 0


def test_an_unregistered_machine_found_on_site_is_a_violation(app, make_user, machines):
    env = _client(app, make_user, "environment")
    data = {**CHECK, "k1": "0.3", "k2": "0.3", "k3": "0.3", "pin": "NO-PLATE-1", "rated_power_kw": "50"}
    text = env.post("/ops/nrmm/spot-checks", data=data, follow_redirects=True).get_data(as_text=True)
    assert "已保存抽测结果：合格，存在违法行为" in text and "未登记编码" in text


@pytest.mark.parametrize("department", ["police", "transport"])
def test_other_departments_cannot_record_checks(app, make_user, machines, department):
    client = _client(app, make_user, department)
    response = client.post("/ops/nrmm/spot-checks", data={**CHECK, "machine_id": str(machines[0])})
    assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)
    assert _checks() == 0


@pytest.mark.browser
def test_environment_draws_the_plan_and_records_a_check_in_the_browser(live_server, page, make_user, machines, backend):
    make_user("huanbao", "environment")
    login(page, live_server, "huanbao", "browser-pass-1")
    page.click("text=非道路机械登记与抽测计划")
    page.click("button:has-text('生成本月抽测计划')")
    page.wait_for_load_state("networkidle")
    assert "已生成" in page.inner_text("main") and "待检 2 台" in page.inner_text("#plan")
    page.click("#plan a:has-text('录入抽测')")
    page.fill("input[name=k1]", "0.5")
    page.fill("input[name=k2]", "0.6")
    page.fill("input[name=k3]", "0.55")
    page.click("button:has-text('保存抽测结果')")
    page.wait_for_load_state("networkidle")
    assert "已保存抽测结果：合格" in page.inner_text("main")
    assert "已检 1 台" in page.inner_text("#plan") and "合格" in page.inner_text("#checks")
    assert_chinese(page)
    screenshot(page, f"environment-nrmm-spot-check-{backend.name}")
