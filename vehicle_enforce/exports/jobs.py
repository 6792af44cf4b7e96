"""Background entry point for Celery beat: one export pass (the same as `vehicle-enforce export run`)."""

from __future__ import annotations

from vehicle_enforce.exports import sender


def run_exports() -> list[dict[str, object]]:
    return [s.as_dict() for s in sender.run()]
