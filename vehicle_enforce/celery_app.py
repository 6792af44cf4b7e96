"""The Celery worker's entry point for production (Redis broker): the app, built once per worker.

Worker: `celery -A vehicle_enforce.celery_app:celery worker --beat` with VE_BROKER_URL set (beat runs
the exports and the sweep that queues lost jobs again). The wiring itself, tasks and schedule, is
`core.tasks.celery_init_app`, which `create_app` calls when a broker is configured.
"""

from __future__ import annotations

import os

from celery import Celery

from vehicle_enforce import create_app


def _make_worker_celery() -> Celery | None:
    if not os.environ.get("VE_BROKER_URL"):
        return None
    worker_celery: Celery = create_app().extensions["celery"]  # set by tasks.celery_init_app
    return worker_celery


celery = _make_worker_celery()
