"""Jobs: the durable record of every piece of background work, so a lost task is found and redone.

`tasks.run_later()` adds a `Job` row in the caller's transaction, so the job exists exactly when the data
it works on does. After the commit its id goes on the queue (Celery in production, huey with SQLite
storage in the embedded default). A worker runs `tasks.execute(job_id)`: it marks the job running, runs the
task, and marks it done or failed. The scheduled `tasks.sweep()` puts back on the queue every job still
queued, or running without a sign of life, after `JOB_STALE_SECONDS`: a task lost with a killed worker
or an unreachable broker is redone. Tasks are written to be safe to run twice (they check the state of
the record they work on first).

Tasks report progress with `progress(done, total)` and may keep an outcome for the page with
`record_result(...)`; `vehicle-enforce jobs` and the pages read both from the job's row: the jobs table
is the one place a page learns how background work is going.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import JSON, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from vehicle_enforce.core import requestid
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model, db

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Finished jobs are kept this long for `vehicle-enforce jobs --all`, then the sweep deletes them.
KEEP_DONE_DAYS = 7

_current_job: contextvars.ContextVar[int | None] = contextvars.ContextVar("ve_current_job", default=None)


class Job(Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(512))
    # What the task reports to the page that follows it (an import's counts, or why the file was refused).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Last sign of life (queued, started, progress): the sweep redoes jobs silent for too long.
    updated_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    # The request that queued the job: the job's log lines and audit rows carry it (core/requestid.py).
    request_id: Mapped[str | None] = mapped_column(String(64))


def add(name: str, kwargs: dict[str, Any], total: int | None = None) -> Job:
    """Record a job in the caller's transaction (it is queued once that transaction commits)."""
    job = Job(
        name=name,
        kwargs=kwargs,
        status=QUEUED,
        done=0,
        total=total,
        attempts=0,
        updated_at=now_utc(),
        request_id=requestid.current(),
    )
    db.session.add(job)
    db.session.flush()
    return job


@contextlib.contextmanager
def running(job_id: int) -> Iterator[None]:
    """Mark `job_id` as the job this context runs, for `progress()`."""
    token = _current_job.set(job_id)
    try:
        yield
    finally:
        _current_job.reset(token)


def stale_after() -> timedelta:
    return timedelta(seconds=float(current_app.config.get("JOB_STALE_SECONDS") or 300))


def progress(done: int, total: int | None = None) -> None:
    """Record rows done (and the total) of the running job; a no-op outside a job.

    Written through a connection of its own, so it is visible while the task's transaction is open. On
    SQLite that transaction may hold the only write lock (an import writes in one transaction) and a
    second writer would wait for it, so there rows done go to a small file beside the database instead
    (`progress_file`, replaced whole each time), which `rows_done` reads while the job runs; the row
    gets them when the task ends (`record_result`, `_finish`).
    """
    job_id = _current_job.get()
    if job_id is None:
        return
    if db.engine.dialect.name == "sqlite":
        _write_progress_file(job_id, done, total)
        return
    values: dict[str, Any] = {"done": done, "updated_at": now_utc()}
    if total is not None:
        values["total"] = total
    with db.engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == job_id).values(**values))


def progress_file(job_id: int) -> Path:
    return Path(current_app.instance_path) / "jobs" / f"{job_id}.progress.json"


def _write_progress_file(job_id: int, done: int, total: int | None) -> None:
    path = progress_file(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps({"done": done, "total": total}), encoding="utf-8")
    os.replace(partial, path)  # a reader sees the previous count or this one, never half a file


def rows_done(job: Job) -> tuple[int, int | None]:
    """Rows done and the total of `job` as known now: its row, or while it runs on SQLite its progress file."""
    if job.status != RUNNING or db.engine.dialect.name != "sqlite":
        return job.done, job.total
    try:
        data = json.loads(progress_file(job.id).read_text(encoding="utf-8"))
        done, total = int(data["done"]), data.get("total")
    except (OSError, ValueError, KeyError, TypeError):
        return job.done, job.total
    return max(job.done, done), int(total) if total is not None else job.total


def progressed_since(job_id: int, since: datetime) -> bool:
    """Whether a job running on SQLite reported progress since `since` (its progress file's time): a sign
    of life the row cannot carry while the job holds the write lock, so the sweep leaves the job be."""
    if db.engine.dialect.name != "sqlite":
        return False
    try:
        written = progress_file(job_id).stat().st_mtime
    except OSError:
        return False
    return written >= since.timestamp()


def forget_progress(job_id: int) -> None:
    """Remove a finished job's progress file (SQLite; the row holds the final count)."""
    progress_file(job_id).unlink(missing_ok=True)


def record_result(result: dict[str, Any], *, done: int | None = None, total: int | None = None) -> None:
    """Keep the running job's outcome (and final rows done / total) on its row, in the task's own
    transaction: it is committed with the task's work, or not at all. Call it after the last
    `progress()` (on PostgreSQL this locks the row that `progress()` writes from another connection)."""
    job_id = _current_job.get()
    if job_id is None:
        return
    values: dict[str, Any] = {"result": result}
    if done is not None:
        values["done"] = done
    if total is not None:
        values["total"] = total
    db.session.execute(update(Job).where(Job.id == job_id).values(**values))


def get(job_id: int, name: str) -> Job | None:
    """A job of task `name` by id (None for another task's job), for the page that follows it."""
    job = db.session.get(Job, job_id)
    return job if job is not None and job.name == name else None


def latest(name: str) -> Job | None:
    """The newest job of a task, for a page that shows how its last run is going."""
    return db.session.scalar(select(Job).where(Job.name == name).order_by(Job.id.desc()).limit(1))


STATUS_ZH = {QUEUED: "排队中", RUNNING: "运行中", DONE: "已完成", FAILED: "失败"}


def unfinished(include_done: bool = False) -> list[Job]:
    stmt = select(Job).order_by(Job.id)
    if not include_done:
        stmt = stmt.where(Job.status != DONE)
    return list(db.session.scalars(stmt))
