"""Export status page actions: resend a failed or rejected record, resend every failed one, run an export now."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.exports.test_exports_delivery import configure, emit_records, statuses
from tests.web.conftest import login, screenshot
from tests.web.test_web_departments import assert_chinese
from tools.reference_receiver import create_receiver


@pytest.fixture
def platform(app) -> Iterator[str]:
    """The reference receiver on loopback, rejecting case actions; the app's provincial target points at it."""
    server = make_server("127.0.0.1", 0, create_receiver(reject_kinds=frozenset({"case_action"})), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    configure(app, url)
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _client(app, make_user, department):
    username, password = make_user(f"u-{department}", department)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password})
    return client


def _set_status(status: str, kind: str | None = None) -> list[int]:
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    stmt = select(ExportRecord).where(ExportRecord.target == "provincial")
    if kind:
        stmt = stmt.where(ExportRecord.kind == kind)
    records = db.session.scalars(stmt.order_by(ExportRecord.id)).all()
    for r in records:
        r.status, r.attempts, r.last_error = status, 8, "connection refused"
    db.session.commit()
    return [r.id for r in records]


def _status_of(record_id: int) -> str:
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    db.session.expire_all()
    return db.session.get(ExportRecord, record_id).status


def test_run_now_sends_what_is_queued(app, make_user, platform, run_jobs):
    emit_records(5)
    client = _client(app, make_user, "environment")
    text = client.post("/ops/exports/run", follow_redirects=True).get_data(as_text=True)
    assert "已启动一次上报" in text
    assert statuses() == {"pending": 5}  # the page answers at once; the worker sends
    assert "最近一次“立即上报”：<strong>排队中</strong>" in text
    assert run_jobs() == 1
    assert statuses() == {"acknowledged": 5}
    text = client.get("/ops/exports/").get_data(as_text=True)
    assert "最近一次“立即上报”：<strong>已完成</strong>" in text
    # The national platform has no address configured here, so its 5 copies stay due.
    assert "应报 10 条，已确认 5 条，传输率 50.0%" in text


def test_failed_records_listed_and_resent_together_rejected_ones_one_by_one(app, make_user):
    emit_records(3)
    emit_records(1, kind="case_action")
    failed = _set_status("failed", "remote_sensing_pass")
    (rejected,) = _set_status("rejected", "case_action")
    client = _client(app, make_user, "environment")
    page = client.get("/ops/exports/").get_data(as_text=True)
    assert page.count("上报失败</td>") == 3 and "平台拒收" in page and "案件办理" in page and "省级平台" in page
    text = client.post("/ops/exports/resend-failed", follow_redirects=True).get_data(as_text=True)
    assert "已将 3 条上报失败的记录重新排队" in text
    assert [_status_of(i) for i in failed] == ["pending"] * 3 and _status_of(rejected) == "rejected"
    text = client.post(f"/ops/exports/{rejected}/resend", data={"note": "已补齐字段"}, follow_redirects=True)
    assert f"记录 {rejected} 已重新排队上报" in text.get_data(as_text=True) and _status_of(rejected) == "pending"
    again = client.post(f"/ops/exports/{rejected}/resend", follow_redirects=True).get_data(as_text=True)
    assert "只有上报失败或被拒收的记录可以重新上报" in again
    assert "没有上报失败或被拒收的记录" in again


@pytest.mark.parametrize("department", ["police", "transport", "housing"])
def test_other_departments_cannot_resend_or_run(app, make_user, department):
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    emit_records(1)
    (record_id,) = _set_status("failed")
    client = _client(app, make_user, department)
    for path in (f"/ops/exports/{record_id}/resend", "/ops/exports/resend-failed", "/ops/exports/run"):
        response = client.post(path)
        assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True), path
    assert _status_of(record_id) == "failed"
    assert db.session.scalar(select(func.count()).select_from(ExportRecord).where(ExportRecord.status == "failed"))


def _records_shown(page: Any) -> str:
    """The records table's text (the list's filters above it name every status and kind)."""
    rows = page.locator("#problems tbody")
    return rows.inner_text() if rows.count() else ""


@pytest.mark.browser
def test_environment_resends_a_rejected_record_in_the_browser(
    live_server: str, page: Any, make_user, platform, backend
):
    emit_records(4)
    emit_records(1, kind="case_action")
    make_user("huanbao", "environment")
    login(page, live_server, "huanbao", "browser-pass-1")
    page.click("text=数据上报传输率")
    page.click("button:has-text('立即上报')")
    page.wait_for_load_state("networkidle")
    assert "已启动一次上报" in page.inner_text("main")
    # The page answers at once; the job worker beside the server sends, and a refresh shows the result.
    for _ in range(150):
        if "平台拒收" in _records_shown(page):
            break
        page.wait_for_timeout(200)
        page.reload()
    assert "平台拒收" in _records_shown(page) and "案件办理" in _records_shown(page)
    screenshot(page, f"environment-exports-rejected-{backend.name}")
    page.fill("#problems input[name=note]", "已核实并修正")
    page.click("#problems button:has-text('重新上报')")
    page.wait_for_load_state("networkidle")
    assert "已重新排队上报" in page.inner_text("main")
    assert "没有上报失败或被拒收的记录" in page.inner_text("#problems")
    assert_chinese(page)
    assert statuses() == {"acknowledged": 4, "pending": 1}


def test_run_now_shows_what_happened_after_the_redirect(app, make_user, platform, run_jobs, station_factory):
    """立即上报 leads to a page that follows the run and then says what was sent, acknowledged and
    rejected, with the platform's reason; stations by name; rates under the threshold marked."""
    station_factory("JC-RS-01", "remote_sensing", name="巴公镇遥感监测点")
    emit_records(3)
    emit_records(2, kind="case_action")  # the reference platform rejects case actions
    client = _client(app, make_user, "environment")
    r = client.post("/ops/exports/run")
    assert r.status_code == 302 and "run=" in r.headers["Location"]
    waiting = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "正在上报" in waiting and 'http-equiv="refresh"' in waiting  # follows the run until it ends
    assert run_jobs() == 1
    done = client.get(r.headers["Location"]).get_data(as_text=True)
    outcome = done.split('id="export-outcome"')[1].split("</section>")[0]
    assert "已完成" in outcome and 'http-equiv="refresh"' not in done
    row = outcome.split('id="outcome-provincial"')[1].split("</tr>")[0]
    assert [int(n) for n in re.findall(r"(\d+) 条", row)][:5] == [5, 3, 2, 0, 0]  # sent, acked, rejected, retry, failed
    assert "平台返回：" in row and "kind not accepted" in row and "（2 条）" in row
    assert statuses() == {"acknowledged": 3, "rejected": 2}
    # The national platform has no address here: its records stay queued and the page says why.
    assert "未配置该平台的上报地址" in outcome
    # 3 of 10 due acknowledged: marked under the threshold, in words and by its class; stations by name.
    assert 'id="total-rate" class="rate-low"' in done and "低于95%" in done
    assert "巴公镇遥感监测点" in done and "<td>JC-RS-01</td>" not in done


def test_an_unknown_run_shows_no_outcome(app, make_user):
    client = _client(app, make_user, "environment")
    page = client.get("/ops/exports/?run=999999").get_data(as_text=True)
    assert 'id="export-outcome"' not in page
    assert 'id="export-outcome"' not in client.get("/ops/exports/?run=abc").get_data(as_text=True)
