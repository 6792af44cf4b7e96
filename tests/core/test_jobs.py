"""Background work never runs inside the request: jobs are recorded, queued after the commit, run by a worker.

The embedded default queues on huey (SQLite storage) and `vehicle-enforce worker` runs the jobs; a job
lost with a killed worker is queued again by the sweep and completes after a restart.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO_ROOT


@pytest.fixture
def collect():
    from vehicle_enforce.core import tasks

    calls: list[int] = []

    def task(value: int) -> None:
        if value < 0:
            raise ValueError("negative")
        calls.append(value)

    tasks.TASKS["test.collect"] = task
    yield calls
    del tasks.TASKS["test.collect"]


def _job(job_id):
    from vehicle_enforce.core.jobs import Job
    from vehicle_enforce.extensions import db

    db.session.expire_all()
    job = db.session.get(Job, job_id)
    db.session.commit()
    return job


def test_without_a_broker_work_is_queued_never_run_inline(app, collect, run_jobs):
    from vehicle_enforce.core import tasks, transaction

    assert app.extensions.get("celery") is None and app.extensions["huey"] is not None
    job_id = tasks.run_later("test.collect", value=7)
    transaction.commit()
    assert collect == [] and _job(job_id).status == "queued"  # committed and queued, not run
    assert app.extensions["huey"].pending_count() == 1
    assert run_jobs() == 1
    job = _job(job_id)
    assert collect == [7] and (job.status, job.attempts) == ("done", 1)


def test_a_rolled_back_request_leaves_no_job(app, collect, run_jobs):
    from vehicle_enforce.core import tasks, transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        tasks.run_later("test.collect", value=1)
        raise RuntimeError("the request failed")
    assert run_jobs() == 0 and collect == []


def test_a_failing_job_is_recorded_and_listed_never_a_500(app, client, collect, run_jobs, runner):
    from vehicle_enforce.core import tasks, transaction

    job_id = tasks.run_later("test.collect", value=-1)
    transaction.commit()
    run_jobs()
    job = _job(job_id)
    assert job.status == "failed" and "negative" in job.error
    listed = runner.invoke(["jobs"])
    assert listed.exit_code == 0 and f"{job_id}\t失败\ttest.collect" in listed.output
    # Fixed: queued again by hand, it runs.
    tasks.TASKS["test.collect"] = lambda value: collect.append(value)
    assert runner.invoke(["jobs", "--retry", str(job_id)]).exit_code == 0
    run_jobs()
    assert _job(job_id).status == "done" and collect == [-1]
    assert "没有未完成的后台任务" in runner.invoke(["jobs"]).output


def test_a_lost_job_is_queued_again_by_the_sweep(app, collect, run_jobs):
    from vehicle_enforce.core import jobs, tasks, transaction
    from vehicle_enforce.core.timeutil import now_utc

    job_id = tasks.run_later("test.collect", value=3)
    transaction.commit()
    app.extensions["huey"].flush()  # the queued message is lost (a broker restart, a killed worker)
    assert run_jobs() == 0
    assert tasks.sweep() == []  # not yet stale
    job = _job(job_id)
    job.updated_at = now_utc() - jobs.stale_after() * 2
    transaction.commit()
    assert tasks.sweep() == [job_id]
    assert run_jobs() == 1 and collect == [3] and _job(job_id).status == "done"


# --- kill -9 the worker in the middle of an import; after a restart the job completes -----------------

HEADER = [
    "号牌号码",
    "号牌颜色",
    "车辆识别代号",
    "车辆类型",
    "燃料种类",
    "排放标准",
    "注册日期",
    "使用性质",
    "所有人",
    "统一社会信用代码",
    "乡镇",
]
ROWS = 6000


def _big_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(ROWS):
        writer.writerow(
            [f"晋E{i:05d}", "黄色", "", "重型货车", "柴油", "国三", "2012-05-04", "营运", f"车主{i}", "", "巴公镇"]
        )
    return out.getvalue().encode("utf-8")


def _worker(app, **extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VE_")}
    env.update(
        VE_DATABASE_URL=app.config["DATABASE_URL"],
        VE_INSTANCE_PATH=app.instance_path,
        VE_SECRET_KEY="test-secret",
        VE_IMPORT_CHUNK_ROWS="200",
        PYTHONPATH=str(REPO_ROOT),
        **extra,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "vehicle_enforce", "worker", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _sqlite_write_locked(url: str) -> bool:
    """Whether another connection holds the SQLite database's write lock (an import under way)."""
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.05, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()
    return False


def _wait(predicate, proc, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(f"worker exited while waiting for {what}: {proc.stdout.read()}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"timed out waiting for {what}: {proc.communicate()[0][-3000:]}")


@pytest.mark.commits
@pytest.mark.slow
def test_kill_9_the_worker_mid_import_and_the_job_completes_after_a_restart(app, runner):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import Actor
    from vehicle_enforce.core.jobs import Job
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles import import_runs
    from vehicle_enforce.vehicles.models import Vehicle

    job_id = import_runs.start("大文件.csv", _big_csv(), actor=Actor("user", None, "交通局", "transport"))
    transaction.commit()
    assert job_id == db.session.scalar(select(Job.id).where(Job.name == "vehicles.import_upload"))

    def mid_import():
        if app.config["DATABASE_URL"].startswith("sqlite"):
            # Rows done reach the job's row when the import ends (it holds SQLite's one writer lock
            # meanwhile): under way = running and holding that lock.
            return _job(job_id).status == "running" and _sqlite_write_locked(app.config["DATABASE_URL"])
        job = _job(job_id)
        return job.status == "running" and 0 < job.done < ROWS

    def vehicles():
        db.session.expire_all()
        count = db.session.scalar(select(func.count()).select_from(Vehicle))
        db.session.commit()
        return count

    first = _worker(app)
    _wait(mid_import, first, 180, "the import to be under way")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    first.stdout.close()
    assert _job(job_id).status == "running" and vehicles() == 0  # killed mid-job: nothing half-written
    listed = runner.invoke(["jobs"])
    assert f"{job_id}\t运行中\tvehicles.import_upload" in listed.output

    time.sleep(1.5)  # longer than the stale time the restarted worker is given
    second = _worker(app, VE_JOB_STALE_SECONDS="1")
    try:
        _wait(lambda: _job(job_id).status in ("done", "failed"), second, 300, "the job to finish")
    finally:
        second.send_signal(signal.SIGINT)
        try:
            second.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.communicate()
    job = _job(job_id)
    assert (job.status, job.attempts, job.done, job.total) == ("done", 2, ROWS, ROWS)
    assert vehicles() == ROWS
    assert _job(job_id).result["report"]["created"] == ROWS  # what the page shows, from the job's row
