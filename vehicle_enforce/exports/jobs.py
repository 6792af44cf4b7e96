"""Background entry point for Celery beat: one export pass (the same as `vehicle-enforce export run`)."""

from __future__ import annotations

from vehicle_enforce.core import jobs
from vehicle_enforce.exports import sender


def run_exports() -> list[dict[str, object]]:
    """One pass; its outcome per target is kept on the job for the page that started it (立即上报)."""
    summaries = [s.as_dict() for s in sender.run()]
    jobs.record_result({"targets": summaries})
    return summaries
