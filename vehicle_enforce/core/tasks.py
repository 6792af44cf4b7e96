"""Background work: plain functions, queued after the commit, run by a worker, never inside the request.

A task is an ordinary function that its domain's `init_app` registers by name (`register`).
`run_later(name, **kwargs)` records a `Job` in the caller's transaction; once it commits, the job's
id goes on the queue:

* production (VE_BROKER_URL set): Celery, with `celery -A vehicle_enforce.celery_app:celery worker` and
  beat (which also runs the sweep);
* the embedded default: huey with its SQLite storage (`instance/tasks.sqlite3`, no server), consumed by
  `vehicle-enforce worker`, which `vehicle-enforce serve` (and so `make run`) starts beside gunicorn.

Nothing runs inline: a request answers as soon as its data is committed, and a task that fails, or is
lost with its worker, never turns a saved request into an error. `sweep()` (every minute) queues
again what is still pending after `JOB_STALE_SECONDS`. Tasks take ids, never ORM objects, and must be
safe to run twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import func as sql_func
from sqlalchemy import select, update

from vehicle_enforce.core import jobs, metrics, partitions, requestid, retention, transaction
from vehicle_enforce.core.jobs import DONE, FAILED, QUEUED, RUNNING, Job
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db

if TYPE_CHECKING:
    from celery import Celery

TASKS: dict[str, Callable[..., Any]] = {}
log = logging.getLogger(__name__)


def register(name: str, func: Callable[..., Any]) -> None:
    """Make `func` runnable as background task `name` (from a domain's `init_app`; again is harmless)."""
    TASKS[name] = func


def init_app(app: Flask) -> None:
    """Start the queue; call after every domain's `init_app`, so Celery sees every registered task."""
    register("core.ping", ping)
    register("core.run_job", run_job)
    register("core.sweep_jobs", sweep_jobs)
    register("core.ensure_partitions", ensure_partitions)
    register("core.retention", retention_task)
    if app.config.get("BROKER_URL"):
        celery_init_app(app)
    else:
        app.extensions["huey"] = _embedded_queue(app)
    metrics.register_gauges("jobs", job_readings)
    metrics.register_gauges("task_queue", queue_readings)


def job_readings() -> list[metrics.Reading]:
    """Jobs not done, by status, from the jobs table (the durable record of every queued job)."""
    counts = dict(
        db.session.execute(
            select(Job.status, sql_func.count()).where(Job.status.in_((QUEUED, RUNNING, FAILED))).group_by(Job.status)
        ).all()
    )
    return [
        metrics.Reading(
            "ve_jobs",
            "Background jobs by status (queued: waiting for a worker)",
            {"status": status},
            counts.get(status, 0),
        )
        for status in (QUEUED, RUNNING, FAILED)
    ]


def queue_readings() -> list[metrics.Reading]:
    """Messages waiting on the queue itself: the Celery broker's default queue, or the embedded queue."""
    celery = current_app.extensions.get("celery")
    if celery is not None:
        queue = celery.conf.task_default_queue
        with celery.connection_for_read() as connection:
            try:
                waiting = connection.default_channel.queue_declare(queue=queue, passive=True).message_count
            except connection.channel_errors:  # no such queue (Redis drops an empty list): nothing waits
                waiting = 0
    else:
        queue, waiting = "embedded", current_app.extensions["huey"].pending_count()
    return [metrics.Reading("ve_task_queue_messages", "Messages waiting on the task queue", {"queue": queue}, waiting)]


def queue_path(app: Flask) -> Path:
    return Path(app.config.get("TASK_QUEUE_PATH") or Path(app.instance_path) / "tasks.sqlite3")


def _embedded_queue(app: Flask) -> Any:
    """huey with SQLite storage: a maintained queue that needs no server, for the embedded default."""
    from huey import SqliteHuey, crontab

    huey = SqliteHuey("vehicle-enforce", filename=str(queue_path(app)), results=False, utc=True)

    @huey.task(name="core.run_job")  # type: ignore[untyped-decorator]  # huey ships no type information
    def run_job(job_id: int) -> None:
        with app.app_context():
            execute(job_id)

    @huey.periodic_task(crontab(minute="*"), name="core.sweep_jobs")  # type: ignore[untyped-decorator]  # as above
    def sweep_jobs() -> None:
        with app.app_context():
            sweep()

    @huey.periodic_task(crontab(minute="17", hour="3"), name="core.ensure_partitions")  # type: ignore[untyped-decorator]  # as above
    def ensure_month_partitions() -> None:
        with app.app_context():
            ensure_partitions()

    @huey.periodic_task(crontab(minute="47", hour="3"), name="core.retention")  # type: ignore[untyped-decorator]  # as above
    def retention_daily() -> None:
        with app.app_context():
            run_now("core.retention")

    huey.ve_run_job = run_job
    return huey


def run_later(name: str, /, _total: int | None = None, **kwargs: Any) -> int:
    """Record task `name` as a job in the caller's transaction; it is queued once that commits."""
    if name not in TASKS:
        raise KeyError(f"unknown background task {name!r}")
    for value in kwargs.values():
        if hasattr(value, "_sa_instance_state"):
            raise TypeError("pass ids to background tasks, not ORM objects")
    job = jobs.add(name, kwargs, total=_total)
    job_id: int = job.id
    transaction.on_commit(lambda: enqueue(job_id))
    return job_id


def enqueue(job_id: int) -> bool:
    """Put a job on the queue. Never raises: a job that could not be queued now is queued again by the
    sweep."""
    try:
        celery = current_app.extensions.get("celery")
        if celery is not None:
            celery.send_task("core.run_job", kwargs={"job_id": job_id})
        else:
            current_app.extensions["huey"].ve_run_job(job_id)
    except Exception:
        log.exception("job %s could not be queued now; the sweep queues it again", job_id)
        return False
    return True


def work_off(app: Flask | None = None, limit: int | None = None) -> int:
    """Run the jobs waiting on the embedded queue in this process, as `vehicle-enforce worker` would.

    For the CLI (`vehicle-enforce worker --burst`) and tests that need the work done before they look.
    """
    huey = (app or current_app).extensions["huey"]
    count = 0
    while limit is None or count < limit:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        count += 1
    return count


def run_now(name: str, *args: Any, **kwargs: Any) -> Any:
    """Run a task in this process in its own transaction (the Celery worker's entry point).

    A scheduled task (beat) gets a request id of its own, so its log lines and audit rows go together;
    a recorded job runs under the id of the request that queued it (`execute`)."""
    try:
        with requestid.bound(requestid.current() or requestid.new()), transaction.atomic():
            return TASKS[name](*args, **kwargs)
    except Exception:
        current_app.logger.exception("background task %s failed", name)
        raise


def execute(job_id: int) -> Any:
    """Run one job in this process: the worker's entry point for both queues.

    Three transactions: the claim (marked running), the task itself, and the outcome (done or failed).
    """
    with transaction.atomic():
        job = db.session.get(Job, job_id, with_for_update=True)
        if job is None or job.status == DONE:
            return None
        now = now_utc()
        if job.status == RUNNING and job.updated_at > now - jobs.stale_after():
            return None  # another worker has it and is alive
        job.status, job.attempts, job.started_at, job.updated_at, job.error = RUNNING, job.attempts + 1, now, now, None
        name, kwargs, request_id = job.name, dict(job.kwargs or {}), job.request_id
    # The job's log lines and audit rows carry the id of the request that queued it (or one of its own).
    with requestid.bound(request_id or f"job-{job_id}"):
        started = time.perf_counter()
        try:
            with jobs.running(job_id), transaction.atomic():
                result = TASKS[name](**kwargs)
        except Exception as exc:
            log.exception("job %s (%s) failed", job_id, name)
            _finish(job_id, FAILED, error=f"{type(exc).__name__}: {exc}"[:512])
            raise
        _finish(job_id, DONE)
        log.info(
            "job %s (%s) done in %.1f ms",
            job_id,
            name,
            (time.perf_counter() - started) * 1000,
            extra={"job_id": job_id, "task": name},
        )
    return result


@transaction.atomic()
def _finish(job_id: int, status: str, error: str | None = None) -> None:
    job = db.session.get(Job, job_id)
    if job is None:
        return
    job.status, job.error, job.finished_at, job.updated_at = status, error, now_utc(), now_utc()
    if status == DONE and job.total is not None:
        job.done = job.total
    if db.engine.dialect.name == "sqlite":
        jobs.forget_progress(job_id)


def sweep() -> list[int]:
    """Re-queue jobs still queued, or running without a sign of life, after `JOB_STALE_SECONDS`."""
    cutoff = now_utc() - jobs.stale_after()
    with transaction.atomic():
        ids = list(
            db.session.scalars(
                select(Job.id).where(Job.status.in_((QUEUED, RUNNING)), Job.updated_at < cutoff).order_by(Job.id)
            )
        )
        ids = [job_id for job_id in ids if not jobs.progressed_since(job_id, cutoff)]  # SQLite's sign of life
        if ids:
            db.session.execute(update(Job).where(Job.id.in_(ids)).values(status=QUEUED, updated_at=now_utc()))
        old = now_utc() - timedelta(days=jobs.KEEP_DONE_DAYS)
        db.session.execute(Job.__table__.delete().where(Job.status == DONE, Job.updated_at < old))
    for job_id in ids:
        log.warning("job %s was still pending after %s: queued again", job_id, jobs.stale_after())
        enqueue(job_id)
    return ids


def retry(job_id: int) -> Job | None:
    """Queue a failed job again (after its cause is fixed)."""
    with transaction.atomic():
        job = db.session.get(Job, job_id)
        if job is None or job.status != FAILED:
            return job
        job.status, job.updated_at = QUEUED, now_utc()
    enqueue(job_id)
    return job


# The one place periodic work is declared (cron users run `vehicle-enforce export run` instead).
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "exports-every-minute": {"task": "exports.run", "schedule": 60.0},
    # Jobs still pending after JOB_STALE_SECONDS (a lost message, a killed worker) are queued again.
    "jobs-sweep-every-minute": {"task": "core.sweep_jobs", "schedule": 60.0},
    # PostgreSQL: the next months' partitions of the history tables exist before they are needed.
    "partitions-ensure-daily": {"task": "core.ensure_partitions", "schedule": 86400.0},
    # PostgreSQL: month partitions past their retention archived, then dropped (audit: detached, kept).
    "retention-daily": {"task": "core.retention", "schedule": 86400.0},
}

#: Work that must connect as the maintenance role (it owns the tables) goes to a queue of its own, served
#: by the one worker whose environment holds VE_MAINTENANCE_DATABASE_URL (deploy/roles.md): the web
#: processes and the general worker never see that password.
MAINTENANCE_QUEUE = "maintenance"
TASK_ROUTES: dict[str, dict[str, str]] = {
    "core.ensure_partitions": {"queue": MAINTENANCE_QUEUE},
    "core.retention": {"queue": MAINTENANCE_QUEUE},
}


def celery_init_app(app: Flask) -> Celery:
    """Celery for production (Redis broker); its tasks run `run_now` inside the Flask app context."""
    from celery import Celery, Task  # only with a broker: the embedded default never loads Celery
    from celery.signals import setup_logging

    # The worker keeps the service's logging (create_app set it: JSON lines with the request id) instead
    # of Celery's own: a receiver of setup_logging tells Celery to leave logging alone.
    setup_logging.connect(_keep_service_logging, weak=False)

    class FlaskTask(Task[Any, Any]):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return run_now(self.name, *args, **kwargs)

    celery_app: Celery = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=app.config["BROKER_URL"],
        result_backend=app.config.get("RESULT_BACKEND") or app.config["BROKER_URL"],
        task_ignore_result=False,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule=BEAT_SCHEDULE,
        task_routes=TASK_ROUTES,
        timezone="Asia/Shanghai",
    )
    for name, func in TASKS.items():
        celery_app.task(name=name)(func)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def _keep_service_logging(**_kwargs: Any) -> None:
    """Celery's setup_logging receiver: the service configured logging already (core/logs.py)."""


def ping(value: str = "pong") -> str:
    """A trivial task that proves the worker wiring end to end."""
    return value


def run_job(job_id: int) -> Any:
    """Celery's entry point for a recorded job."""
    return execute(job_id)


def ensure_partitions() -> list[str]:
    """The daily task: create the current and next months' partitions (`core/partitions.py`)."""
    return partitions.ensure_now()


def retention_task() -> dict[str, int]:
    """The daily task: `retention run` (core/retention.py). A partition that failed is logged as an error
    and tried again the next day; the audit lines of those that went are committed all the same."""
    try:
        report = retention.run(dry_run=False)
    except retention.Unsupported as exc:  # SQLite: nothing partitioned, nothing to do
        log.info("retention: %s", exc)
        return {"archived": 0, "failed": 0}
    archived = sum(1 for s in report.steps if s.done)
    for step in report.failed:
        log.error("retention of %s failed: %s", step.partition, step.error)
    log.info("retention: %d partition(s) archived, %d failed", archived, len(report.failed))
    return {"archived": archived, "failed": len(report.failed)}


def sweep_jobs() -> list[int]:
    """Celery beat's entry point for the sweep."""
    return sweep()
