"""What inspections connects when the app is built: station health in the inbox, plate reading."""

from __future__ import annotations

from typing import Any

from flask import Flask

from vehicle_enforce import signals
from vehicle_enforce.core import retention, tasks
from vehicle_enforce.inspections import evidence, health
from vehicle_enforce.inspections import tasks as inspection_tasks


def init_app(_app: Flask) -> None:
    signals.connect(signals.inbox_wanted, inbox)
    tasks.register("inspections.read_plate", inspection_tasks.read_plate)
    # Passes and their evidence are kept 5 years: a month of passes dropped takes its evidence along.
    retention.on_drop("remote_sensing_passes", evidence.forget_dropped_passes)


def inbox(_sender: str, *, department: str) -> dict[str, Any]:
    """Stations gone silent, failed self-checks and calibrations ending (environment and admin)."""
    return health.inbox_sections(department)
