"""Heavy-pollution alert page: everyone reads the alerts and measures; the environment department issues and lifts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.web.conftest import login, screenshot
from tests.web.test_web_departments import ALLOWED, ENGLISH
from vehicle_enforce.alerts.schemas import AlertIn
from vehicle_enforce.core.actors import system


def _client(app, make_user, department):
    username, password = make_user(f"u-{department}", department)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password})
    return client


def _local(delta_hours):
    from vehicle_enforce.core.timeutil import now_utc, to_local

    return (to_local(now_utc()) + timedelta(hours=delta_hours)).strftime("%Y-%m-%dT%H:%M")


def _alerts():
    from vehicle_enforce.alerts.models import Alert
    from vehicle_enforce.extensions import db

    db.session.expire_all()
    return db.session.scalars(select(Alert).order_by(Alert.id)).all()


@pytest.mark.parametrize(
    ("department", "forms"), [("environment", True), ("police", False), ("transport", False), ("housing", False)]
)
def test_alert_page_readable_by_all_forms_for_environment(app, make_user, department, forms):
    response = _client(app, make_user, department).get("/ops/alerts/")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "当前没有生效的预警" in text
    # The orange measure from measures.json, in Chinese.
    assert "柴油、天然气重型货车、中型货车、牵引车，国四及以下停止运输" in text
    assert ('id="issue-form"' in text) is forms


@pytest.mark.parametrize("department", ["police", "transport", "housing"])
def test_other_departments_cannot_issue_or_lift(app, make_user, department):
    from vehicle_enforce.alerts import services
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.timeutil import now_utc

    alert = services.issue(
        AlertIn(level="orange", starts_at=now_utc(), ends_at=now_utc() + timedelta(hours=6)), actor=system("环境局")
    )
    transaction.commit()
    client = _client(app, make_user, department)
    issued = client.post("/ops/alerts/", data={"level": "red", "starts_at": _local(0), "ends_at": _local(5)})
    lifted = client.post(f"/ops/alerts/{alert.id}/actions", data={"action": "lift"})
    assert (issued.status_code, lifted.status_code) == (403, 403)
    assert "无权访问" in lifted.get_data(as_text=True)
    assert [(a.level, a.lifted_at) for a in _alerts()] == [("orange", None)]


def test_environment_issues_upgrades_and_lifts_an_alert(app, make_user):
    from vehicle_enforce.alerts import services
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.extensions import db

    client = _client(app, make_user, "environment")
    text = client.post(
        "/ops/alerts/", data={"level": "yellow", "starts_at": _local(-1), "ends_at": _local(24)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已发布黄色预警" in text and "当前执行" in text and "国三及以下停止运输" in text
    (alert,) = _alerts()
    assert alert.level == "yellow" and alert.townships is None and alert.issued_by == "u-environment"
    assert alert in services.in_force(now_utc())

    text = client.post(
        f"/ops/alerts/{alert.id}/actions", data={"action": "upgrade", "level": "orange"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "已升级预警" in text and _alerts()[0].level == "orange"

    text = client.post(f"/ops/alerts/{alert.id}/actions", data={"action": "lift"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "已解除预警" in text and "当前没有生效的预警" in text and "已解除" in text
    assert _alerts()[0].lifted_at is not None and services.in_force(now_utc()) == []
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "alert")).all()
    assert sorted(actions) == ["alert.issue", "alert.lift", "alert.upgrade"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"level": "orange", "starts_at": "", "ends_at": "2030-01-01T00:00"}, "请填写开始时间"),
        ({"level": "orange", "starts_at": "2030-01-02T00:00", "ends_at": "2030-01-01T00:00"}, "结束时间须晚于开始时间"),
        ({"level": "purple", "starts_at": "2030-01-01T00:00", "ends_at": "2030-01-02T00:00"}, "预警级别：不是可选的值"),
    ],
)
def test_refused_alerts_are_explained_and_not_stored(app, make_user, data, message):
    from vehicle_enforce.alerts.models import Alert
    from vehicle_enforce.extensions import db

    client = _client(app, make_user, "environment")
    text = client.post("/ops/alerts/", data=data, follow_redirects=True).get_data(as_text=True)
    assert "预警未发布" in text and message in text
    assert db.session.scalar(select(func.count()).select_from(Alert)) == 0


def test_lifting_an_ended_alert_is_refused(app, make_user):
    from vehicle_enforce.alerts import services
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.timeutil import now_utc

    alert = services.issue(
        AlertIn(level="red", starts_at=now_utc() - timedelta(days=2), ends_at=now_utc() - timedelta(days=1)),
        actor=system("环境局"),
    )
    transaction.commit()
    client = _client(app, make_user, "environment")
    text = client.post(f"/ops/alerts/{alert.id}/actions", data={"action": "lift"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "操作未完成" in text and "该预警已结束或已解除" in text
    assert _alerts()[0].lifted_at is None


@pytest.mark.browser
def test_environment_issues_and_lifts_an_alert_in_the_browser(live_server, page, make_user, backend):
    make_user("huanbao", "environment")
    login(page, live_server, "huanbao", "browser-pass-1")
    page.click("text=重污染天气预警")
    assert "当前没有生效的预警" in page.inner_text("#in-force")
    page.select_option("select[name=level]", "orange")
    page.fill("input[name=starts_at]", _local(-1))
    page.fill("input[name=ends_at]", _local(48))
    page.click("button:has-text('发布预警')")
    page.wait_for_load_state("networkidle")
    assert "已发布橙色预警" in page.inner_text("main")
    assert "橙色预警" in page.inner_text("#in-force")
    assert "国四及以下停止运输" in page.inner_text("#measures-now")
    # The issuer's user name is the only Latin text allowed on the page.
    words = {w for w in ENGLISH.findall(page.inner_text("main")) if w not in ALLOWED | {"huanbao"}}
    assert not words, f"untranslated English: {sorted(words)}"
    screenshot(page, f"environment-alert-issued-{backend.name}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#recent button:has-text('解除')")
    page.wait_for_load_state("networkidle")
    assert "已解除预警" in page.inner_text("main")
    assert "当前没有生效的预警" in page.inner_text("#in-force")
    assert "已解除" in page.inner_text("#recent .state")
    screenshot(page, f"environment-alert-lifted-{backend.name}")


def test_an_alert_for_one_township_names_it(app, make_user):
    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.extensions import db

    bagong = db.session.scalar(select(Township).where(Township.name == "巴公镇"))
    client = _client(app, make_user, "environment")
    data = {"level": "red", "starts_at": _local(0), "ends_at": _local(12), "townships": [str(bagong.id)]}
    text = client.post("/ops/alerts/", data=data, follow_redirects=True).get_data(as_text=True)
    assert "已发布红色预警" in text and "<td>巴公镇</td>" in text
    assert _alerts()[0].townships == [bagong.id]
