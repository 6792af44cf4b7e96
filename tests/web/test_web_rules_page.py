"""Rule and limit settings page: every rules reader sees it; only the environment department changes rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.web.conftest import login, screenshot
from tests.web.test_web_departments import assert_chinese


def _tomorrow():
    from vehicle_enforce.core.timeutil import local_day, now_utc

    return local_day(now_utc()) + timedelta(days=1)


def _client(app, make_user, department):
    kwargs = {}
    if department == "station":
        from vehicle_enforce.core import actors, transaction
        from vehicle_enforce.inspections import stations

        stations.create_station(code="JC-RD-01", kind="roadside", name="路检站", actor=actors.system("test"))
        transaction.commit()
        kwargs["station"] = "JC-RD-01"
    username, password = make_user(f"u-{department}", department, **kwargs)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password})
    return client


def _rule_changes():
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import RuleChange

    return db.session.scalar(select(func.count()).select_from(RuleChange))


LISTING = {"section": "listing", "min_exceeding_passes": "3", "window_days": "90", "distinct_days": "1"}


@pytest.mark.parametrize(
    ("department", "status", "forms"),
    [("environment", 200, True), ("police", 200, False), ("station", 200, False), ("housing", 403, False)],
)
def test_rules_page_by_department(app, make_user, department, status, forms):
    response = _client(app, make_user, department).get("/ops/rules/")
    assert response.status_code == status
    text = response.get_data(as_text=True)
    if status == 403:
        assert "无权访问" in text
        return
    assert "GB 3847-2018 限值b" in text and "车速（km/h）" in text and "180 天内遥感超标" in text
    assert ('action="/ops/rules/changes"' in text) is forms
    assert ("本部门只能查看" in text) is not forms


@pytest.mark.parametrize("department", ["police", "transport", "station"])
def test_other_departments_cannot_change_rules(app, make_user, department):
    client = _client(app, make_user, department)
    data = {**LISTING, "effective_from": _tomorrow().isoformat(), "reason": "越权修改"}
    response = client.post("/ops/rules/changes", data=data)
    assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)
    assert _rule_changes() == 0


def test_environment_changes_the_listing_rule_from_a_date_audited(app, make_user):
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.core.timeutil import local_day, now_utc
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections import rules

    client = _client(app, make_user, "environment")
    tomorrow = _tomorrow()
    data = {**LISTING, "effective_from": tomorrow.isoformat(), "reason": "市局通知：收紧列入条件"}
    response = client.post("/ops/rules/changes", data=data, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "已保存黑名单列入规则的修改" in text and "90 天内遥感超标 <strong>3</strong> 次" in text
    assert rules.rules_on(tomorrow).raw["blacklist"]["min_exceeding_passes"] == 3
    assert rules.rules_on(local_day(now_utc())).raw["blacklist"]["min_exceeding_passes"] == 2
    assert rules.rules_on(tomorrow).raw["blacklist"]["roadside_fail_lists"] is False  # unchecked box
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rules.change"))
    assert entry is not None and (entry.actor_name, entry.department) == ("u-environment", "environment")
    assert "市局通知：收紧列入条件" in client.get("/ops/rules/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"effective_from": "2019-01-01"}, "生效日期不能早于今天"),
        ({"reason": "  "}, "请填写修改原因"),
        ({"window_days": "九十"}, "不是数字"),
        ({"section": "limits", "set_name": "GB3847-2018 limit a", "limit|lug_down|k": ""}, "数值不能为空"),
        ({"section": "limits", "set_name": "没有这个标准", "limit|lug_down|k": "0.5"}, "规则不合法"),
    ],
)
def test_refused_changes_are_explained_and_not_stored(app, make_user, changes, message):
    client = _client(app, make_user, "environment")
    data = {**LISTING, "effective_from": _tomorrow().isoformat(), "reason": "调整", **changes}
    text = client.post("/ops/rules/changes", data=data, follow_redirects=True).get_data(as_text=True)
    assert "修改未保存" in text and message in text
    assert _rule_changes() == 0


def test_limit_and_validity_changes_take_effect_on_their_day(app, make_user):
    from vehicle_enforce.inspections import rules

    client = _client(app, make_user, "environment")
    tomorrow = _tomorrow().isoformat()
    client.post(
        "/ops/rules/changes",
        data={
            "section": "limits",
            "set_name": "HJ845-2017 remote sensing",
            "limit|remote_sensing|opacity": "20",
            "limit|remote_sensing|ringelmann": "1",
            "limit|remote_sensing|no": "1500",
            "effective_from": tomorrow,
            "reason": "不透光度限值收紧",
        },
    )
    client.post(
        "/ops/rules/changes",
        data={
            "section": "validity",
            "range|wind|min": "",
            "range|wind|max": "4.5",
            "effective_from": tomorrow,
            "reason": "风速上限调整",
        },
    )
    doc = rules.rules_on(_tomorrow()).raw
    sets = {s["name"]: s for s in doc["limit_sets"]}
    assert sets["HJ845-2017 remote sensing"]["limits"]["remote_sensing"]["opacity"] == 20
    assert doc["validity"]["remote_sensing"]["ranges"]["wind"]["max"] == 4.5
    assert doc["validity"]["remote_sensing"]["ranges"]["wind"]["min"] is None
    assert doc["validity"]["remote_sensing"]["ranges"]["speed"]["max"] == 100  # untouched ranges stay


@pytest.mark.browser
def test_environment_changes_a_limit_in_the_browser(live_server, page, phone_page, make_user, backend):
    make_user("huanbao", "environment")
    login(page, live_server, "huanbao", "browser-pass-1")
    page.click("text=规则与限值设置")
    assert "规则与限值设置" in page.inner_text("h1")
    assert_chinese(page)
    page.click("summary:has-text('修改GB 3847-2018 限值b')")
    form = page.locator("form.rule-form", has=page.locator("input[value='GB3847-2018 limit b']"))
    form.locator("input[name='limit|lug_down|nox_ppm']").fill("800")
    form.locator("input[name=effective_from]").fill(_tomorrow().isoformat())
    form.locator("input[name=reason]").fill("市生态环境局通知：NOx限值收紧")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "已保存排放限值的修改" in page.inner_text("main")
    assert page.inner_text("#rules-day") == _tomorrow().isoformat()
    assert "800" in page.inner_text("#limits")
    assert "NOx限值收紧" in page.inner_text("#changes")
    screenshot(page, f"environment-rules-changed-{backend.name}")

    login(phone_page, live_server, "huanbao", "browser-pass-1")
    phone_page.goto(f"{live_server}/ops/rules/")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"rules page is {width}px wide on a 390px phone"
    screenshot(phone_page, f"environment-rules-phone-{backend.name}")
