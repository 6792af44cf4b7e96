"""Background work: plain functions, queued after the commit, run by a worker, never inside the request.

A task is an ordinary function registered with `@background_task`. `run_later(name, **kwargs)` records a
`jobs.Job` in the caller's transaction; once it commits, the job's id goes on the queue:

* production (VE_BROKER_URL set): Celery, with `celery -A vehicle_enforce.celery_app:celery worker` and
  beat (which also runs the sweep);
* the embedded default: huey with its SQLite storage (`instance/tasks.sqlite3`, no server), consumed by
  `vehicle-enforce worker`, which `vehicle-enforce serve` (and so `make run`) starts beside gunicorn.

Nothing runs inline: a request answers as soon as its data is committed, and a task that fails, or is
lost with its worker, never turns a saved request into an error. `jobs.sweep()` (every minute) queues
again what is still pending after `JOB_STALE_SECONDS`. Tasks take ids, never ORM objects, and must be
safe to run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context

TASKS: dict[str, Callable[..., Any]] = {}
log = logging.getLogger(__name__)


def background_task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        TASKS[name] = func
        return func

    return decorator


def init_app(app: Flask) -> None:
    app.extensions["ve_pending_tasks"] = []
    if app.config.get("BROKER_URL"):
        from vehicle_enforce.celery_app import celery_init_app

        celery_init_app(app)
    else:
        app.extensions["huey"] = _embedded_queue(app)


def queue_path(app: Flask) -> Path:
    return Path(app.config.get("TASK_QUEUE_PATH") or Path(app.instance_path) / "tasks.sqlite3")


def _embedded_queue(app: Flask) -> Any:
    """huey with SQLite storage: a maintained queue that needs no server, for the embedded default."""
    from huey import SqliteHuey, crontab

    from vehicle_enforce.core import jobs

    huey = SqliteHuey("vehicle-enforce", filename=str(queue_path(app)), results=False, utc=True)

    @huey.task(name="core.run_job")  # type: ignore[untyped-decorator]  # huey ships no type information
    def run_job(job_id: int) -> None:
        with app.app_context():
            jobs.execute(job_id)

    @huey.periodic_task(crontab(minute="*"), name="core.sweep_jobs")  # type: ignore[untyped-decorator]  # as above
    def sweep_jobs() -> None:
        with app.app_context():
            jobs.sweep()

    huey.ve_run_job = run_job
    return huey


def run_later(name: str, /, _total: int | None = None, **kwargs: Any) -> int:
    """Record task `name` as a job in the caller's transaction; it is queued once that commits."""
    from vehicle_enforce.core import jobs

    if name not in TASKS:
        raise KeyError(f"unknown background task {name!r}")
    for value in kwargs.values():
        if hasattr(value, "_sa_instance_state"):
            raise TypeError("pass ids to background tasks, not ORM objects")
    job = jobs.add(name, kwargs, total=_total)
    _pending().append(job.id)
    return job.id


def _pending() -> list[int]:
    if has_request_context():
        if "ve_tasks" not in g:
            g.ve_tasks = []
        in_request: list[int] = g.ve_tasks
        return in_request
    in_app: list[int] = current_app.extensions["ve_pending_tasks"]
    return in_app


def flush_pending() -> int:
    """Queue every job recorded by the committed transaction. Never raises: the data is saved, and a
    job that could not be queued now is queued again by the sweep."""
    pending = _pending()
    ids, pending[:] = list(pending), []
    for job_id in ids:
        enqueue(job_id)
    return len(ids)


def enqueue(job_id: int) -> bool:
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


def discard_pending() -> None:
    _pending().clear()


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
    """Run a task in this process in its own transaction (the Celery worker's entry point)."""
    from vehicle_enforce.extensions import db

    try:
        result = TASKS[name](*args, **kwargs)
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("background task %s failed", name)
        raise
    return result


@background_task("core.ping")
def ping(value: str = "pong") -> str:
    """A trivial task that proves the worker wiring end to end."""
    return value


@background_task("core.run_job")
def run_job(job_id: int) -> Any:
    """Celery's entry point for a recorded job."""
    from vehicle_enforce.core import jobs

    return jobs.execute(job_id)


@background_task("core.sweep_jobs")
def sweep_jobs() -> list[int]:
    """Celery beat's entry point for the sweep."""
    from vehicle_enforce.core import jobs

    return jobs.sweep()
