"""Celery wiring for production (Redis broker); tasks run inside the Flask app context.

Worker: `celery -A vehicle_enforce.celery_app:celery worker --beat` with VE_BROKER_URL set (beat runs
the exports and the sweep that queues lost jobs again).
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from flask import Flask

# The one place periodic work is declared (cron users run `vehicle-enforce export run` instead).
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "exports-every-minute": {"task": "exports.run", "schedule": 60.0},
    # Jobs still pending after JOB_STALE_SECONDS (a lost message, a killed worker) are queued again.
    "jobs-sweep-every-minute": {"task": "core.sweep_jobs", "schedule": 60.0},
}


def celery_init_app(app: Flask) -> Celery:
    from vehicle_enforce.core import tasks

    class FlaskTask(Task[Any, Any]):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return tasks.run_now(self.name, *args, **kwargs)

    celery_app: Celery = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=app.config["BROKER_URL"],
        result_backend=app.config.get("RESULT_BACKEND") or app.config["BROKER_URL"],
        task_ignore_result=False,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule=BEAT_SCHEDULE,
        timezone="Asia/Shanghai",
    )
    for name, func in tasks.TASKS.items():
        celery_app.task(name=name)(func)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def _make_worker_celery() -> Celery | None:
    import os

    if not os.environ.get("VE_BROKER_URL"):
        return None
    from vehicle_enforce import create_app

    worker_celery: Celery = create_app().extensions["celery"]  # set by celery_init_app above
    return worker_celery


celery = _make_worker_celery()
