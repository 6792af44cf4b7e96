"""Vehicle import page: upload, the import runs as a task writing rows done per chunk, a status page follows it."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from tests.vehicles.test_vehicles_import import BROKEN, GOOD, HEADER
from tests.web.conftest import login, screenshot
from tests.web.test_web_departments import assert_chinese

ROWS = (
    GOOD
    + [
        [f"晋E2{i:04d}", "黄色", "", "重型货车", "柴油", "国三", "2012-05-04", "营运", "王五", "", "巴公镇"]
        for i in range(22)
    ]
    + BROKEN
)  # 27 rows: 25 good, 2 rejected


def csv_bytes(rows=ROWS, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _client(app, make_user, department):
    username, password = make_user(f"u-{department}", department)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password})
    return client


def _upload(client, data: bytes, name="车辆.csv", **kwargs):
    return client.post(
        "/ops/vehicles/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data", **kwargs
    )


def _vehicles():
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Vehicle

    return db.session.scalar(select(func.count()).select_from(Vehicle))


def _job(status_url):
    from vehicle_enforce.core.jobs import Job
    from vehicle_enforce.extensions import db

    job = db.session.get(Job, int(status_url.rstrip("/").rsplit("/", 1)[1]))
    db.session.refresh(job)
    return job


def test_upload_imports_in_chunks_reporting_progress_on_the_job_and_reports(app, make_user, monkeypatch, run_jobs):
    from vehicle_enforce.core import jobs

    app.config["IMPORT_CHUNK_ROWS"] = 10
    seen = []
    report = jobs.progress

    def spy(done, total=None):
        seen.append((done, total))
        report(done, total)

    monkeypatch.setattr(jobs, "progress", spy)
    client = _client(app, make_user, "transport")
    response = _upload(client, csv_bytes())
    assert response.status_code == 302
    status_url = response.headers["Location"]
    job = _job(status_url)
    assert (job.name, job.status, job.done, job.total) == ("vehicles.import_upload", "queued", 0, 27)
    assert _vehicles() == 0  # the request only keeps the file and queues it
    queued = client.get(status_url).get_data(as_text=True)
    assert "排队中" in queued and "共 27 行，等待导入" in queued
    assert run_jobs() == 1
    assert seen == [(10, 27), (20, 27), (27, 27)]  # rows done per chunk, on the job's row
    job = _job(status_url)
    assert (job.status, job.done, job.total) == ("done", 27, 27)
    assert job.result["report"] == {"rows": 27, "created": 25, "updated": 0, "unchanged": 0, "rejected": 2}
    page = client.get(status_url).get_data(as_text=True)
    assert "已完成" in page and "已处理 27 / 27 行（100%）" in page and 'http-equiv="refresh"' not in page
    assert "共 27 行：新增 25 辆，更新 0 辆，无变化 0 辆，有问题未导入 2 行" in page
    assert _vehicles() == 25
    errors = client.get(status_url + "/errors.csv")
    text = errors.get_data(as_text=True)
    errors.close()
    assert errors.status_code == 200 and "27,号牌号码,晋E1234" in text and "28,乡镇,火星镇" in text


def test_a_running_import_page_shows_the_share_done_from_the_job_row_and_refreshes(app, make_user):
    from vehicle_enforce.core import jobs, transaction

    client = _client(app, make_user, "environment")
    job = jobs.add("vehicles.import_upload", {"run_id": "abc123", "filename": "大文件.csv"}, total=1000000)
    other = jobs.add("exports.run", {})
    job.status, job.done = "running", 250000
    transaction.commit()
    page = client.get(f"/ops/vehicles/import/{job.id}").get_data(as_text=True)
    assert "导入中" in page and "已处理 250000 / 1000000 行（25%）" in page
    assert '<meta http-equiv="refresh" content="2">' in page
    job.done = 0  # running, no rows reported yet
    transaction.commit()
    page = client.get(f"/ops/vehicles/import/{job.id}").get_data(as_text=True)
    assert "已处理 0 / 1000000 行（0%），正在估算剩余时间" in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page  # without the script
    assert 'src="/static/import_progress.js"' in page
    assert client.get(f"/ops/vehicles/import/{other.id}").status_code == 404  # another task's job
    assert client.get(f"/ops/vehicles/import/{job.id + 100}").status_code == 404
    assert client.get("/ops/vehicles/import/abc123").status_code == 404
    assert client.get(f"/ops/vehicles/import/{job.id}/errors.csv").status_code == 404


def test_no_page_reads_progress_from_anywhere_but_the_jobs_table():
    """The class: background progress has one home, core/jobs.py (the job's row, and on SQLite while the
    import holds the only write lock, the job's progress file that only core.jobs writes and reads).
    No other module keeps its own progress file or state."""
    import re

    from tests.conftest import REPO_ROOT

    found = []
    for path in sorted((REPO_ROOT / "vehicle_enforce").rglob("*")):
        if path.suffix not in (".py", ".html", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"progress\.json|_write_progress|read_progress", text):
            found.append(str(path.relative_to(REPO_ROOT)))
    assert found == ["vehicle_enforce/core/jobs.py"]


def test_a_malformed_file_imports_nothing_and_says_why(app, make_user, run_jobs):
    client = _client(app, make_user, "transport")
    header = [h for h in HEADER if h != "燃料种类"]
    rows = [[c for h, c in zip(HEADER, r, strict=True) if h != "燃料种类"] for r in GOOD]
    response = _upload(client, csv_bytes(rows, header))
    assert run_jobs() == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "文件有误，整个文件未导入" in page and "表头缺少必需的列" in page
    assert _vehicles() == 0


def test_only_csv_or_xlsx_and_not_empty(app, make_user):
    client = _client(app, make_user, "transport")
    wrong = _upload(client, b"%PDF-1.4", name="scan.pdf")
    assert wrong.status_code == 422 and "只能导入 CSV 或 XLSX 文件" in wrong.get_data(as_text=True)
    empty = _upload(client, b"", name="empty.csv")
    assert empty.status_code == 422 and "文件为空" in empty.get_data(as_text=True)


@pytest.mark.parametrize("department", ["police", "housing"])
def test_other_departments_cannot_import(app, make_user, department):
    client = _client(app, make_user, department)
    assert client.get("/ops/vehicles/import").status_code == 403
    response = _upload(client, csv_bytes())
    assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)
    assert _vehicles() == 0


@pytest.mark.browser
def test_transport_imports_a_file_in_the_browser(live_server, page, make_user, backend, tmp_path):
    path = tmp_path / "车管所导出.csv"
    path.write_bytes(csv_bytes())
    make_user("jiaotong", "transport")
    login(page, live_server, "jiaotong", "browser-pass-1")
    page.click("text=导入车辆数据")
    page.set_input_files("input[name=file]", str(path))
    page.click("button:has-text('开始导入')")
    page.wait_for_load_state("networkidle")
    from playwright.sync_api import expect

    # The job worker beside the server imports; the status page refreshes itself until it is done.
    expect(page.locator("#import-state")).to_contain_text("已完成", timeout=60000)
    assert "新增 25 辆" in page.inner_text("#import-report")
    assert_chinese(page)
    screenshot(page, f"transport-vehicle-import-{backend.name}")


def test_the_status_answer_gives_rows_done_total_and_time_to_go_in_the_pages_words(app, make_user):
    from datetime import timedelta

    from vehicle_enforce.core import jobs, transaction
    from vehicle_enforce.core.timeutil import now_utc

    client = _client(app, make_user, "transport")
    job = jobs.add("vehicles.import_upload", {"run_id": "abc123", "filename": "大文件.csv"}, total=400)
    job.status, job.done, job.started_at = "running", 100, now_utc() - timedelta(seconds=60)
    transaction.commit()
    state = client.get(f"/ops/vehicles/import/{job.id}/status").get_json()
    assert (state["status"], state["running"], state["done"], state["total"], state["percent"]) == (
        "running",
        True,
        100,
        400,
        25,
    )
    assert 170 <= state["eta_seconds"] <= 190  # 100 rows a minute, 300 to go: about three minutes
    assert state["text"].startswith("已处理 100 / 400 行（25%），预计还需约 3 分钟"), state["text"]
    page = client.get(f"/ops/vehicles/import/{job.id}").get_data(as_text=True)
    assert state["text"] in page  # the page and the answer say the same
    job.status, job.done = "done", 400
    transaction.commit()
    assert client.get(f"/ops/vehicles/import/{job.id}/status").get_json()["running"] is False
    assert client.get(f"/ops/vehicles/import/{job.id + 100}/status").status_code == 404
    police = _client(app, make_user, "police")
    assert police.get(f"/ops/vehicles/import/{job.id}/status").status_code == 403


def test_eta_is_the_pace_so_far():
    from datetime import UTC, datetime, timedelta

    from vehicle_enforce.vehicles.import_runs import eta

    start = datetime(2019, 11, 5, 6, 0, tzinfo=UTC)
    assert eta(250, 1000, start, start + timedelta(seconds=10)) == 30
    assert eta(0, 1000, start, start + timedelta(seconds=10)) is None  # no pace yet
    assert eta(10, None, start, start + timedelta(seconds=10)) is None  # XLSX: no total
    assert eta(1000, 1000, start, start + timedelta(seconds=10)) is None


@pytest.mark.sqlite
def test_on_sqlite_rows_done_are_seen_while_the_import_holds_the_write_lock(app, backend, tmp_path):
    """SQLite has one writer, the import's transaction: rows done go to the job's progress file, read by
    the page while the job runs, and removed when it ends (the row then holds the final count)."""
    from datetime import timedelta

    from vehicle_enforce.core import jobs, tasks, transaction

    if backend.name != "sqlite":
        pytest.skip("PostgreSQL writes rows done on the job's row")
    job = jobs.add("vehicles.import_upload", {"run_id": "abc123"}, total=90)
    job.status = "running"
    transaction.commit()
    with jobs.running(job.id):
        jobs.progress(30, 90)
    assert jobs.rows_done(job) == (30, 90)
    assert job.done == 0  # the row is untouched: its writer would wait for the import's lock
    # The sweep takes the file as the job's sign of life: a long import is not queued again under it.
    job.updated_at = job.updated_at - timedelta(hours=1)
    transaction.commit()
    assert tasks.sweep() == []
    tasks._finish(job.id, "done")
    assert not jobs.progress_file(job.id).exists()
