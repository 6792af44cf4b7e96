"""What reviews connects when the app is built: its sections of a department's inbox."""

from __future__ import annotations

from typing import Any

from flask import Flask

from vehicle_enforce import signals
from vehicle_enforce.reviews import services


def init_app(_app: Flask) -> None:
    signals.connect(signals.inbox_wanted, inbox)


def inbox(_sender: str, *, department: str) -> dict[str, Any]:
    """Open evidence tasks, and for environment the count of open match reviews."""
    return services.inbox_sections(department)
