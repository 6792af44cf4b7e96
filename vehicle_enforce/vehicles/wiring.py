"""What vehicles connects when the app is built: the uploaded-import task."""

from __future__ import annotations

from flask import Flask

from vehicle_enforce.core import tasks
from vehicle_enforce.vehicles import import_runs


def init_app(_app: Flask) -> None:
    tasks.register(import_runs.TASK, import_runs.import_upload)
