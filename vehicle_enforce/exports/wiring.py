"""What exports connects when the app is built: the outbox receivers, its session hooks, its task."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from vehicle_enforce import signals
from vehicle_enforce.core import metrics, tasks
from vehicle_enforce.core.db import listen
from vehicle_enforce.exports import jobs, outbox, services


def init_app(_app: Flask) -> None:
    signals.connect(signals.records_stored, outbox.on_records_stored)
    signals.connect(signals.bulk_writes_due, outbox.write_now)
    listen(Session, "before_commit", outbox.write_outbox)
    listen(Session, "after_soft_rollback", outbox.forget_outbox)
    tasks.register("exports.run", jobs.run_exports)
    # The 7-day rate reads every record due in the window (a million a day for a province): once a minute.
    metrics.register_gauges("exports", services.metric_readings, max_age=60)
