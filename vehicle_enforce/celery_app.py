"""The Celery worker's entry point for production (Redis broker): the app, built once per worker.

Worker: `celery -A vehicle_enforce.celery_app:celery worker --beat` with VE_BROKER_URL set (beat runs
the exports and the sweep that queues lost jobs again). The wiring itself, tasks and schedule, is
`core.tasks.celery_init_app`, which `create_app` calls when a broker is configured.

Importing this module builds nothing: Celery reads the attribute `celery`, and that read builds the app
(once; `None` without VE_BROKER_URL).
"""

from __future__ import annotations

import functools
import os
from typing import Any

from celery import Celery

from vehicle_enforce import create_app


@functools.cache
def worker_celery() -> Celery | None:
    """The worker's Celery app, from the app `create_app` builds (tasks and schedule registered there)."""
    if not os.environ.get("VE_BROKER_URL"):
        return None
    celery: Celery = create_app().extensions["celery"]  # set by tasks.celery_init_app
    return celery


def __getattr__(name: str) -> Any:
    """`vehicle_enforce.celery_app:celery`: built when Celery asks for it, not at import (PEP 562)."""
    if name == "celery":
        return worker_celery()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
