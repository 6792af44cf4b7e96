"""What exports connects when the app is built: the outbox receivers, its session hooks, its task."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session

from vehicle_enforce import signals
from vehicle_enforce.core import tasks
from vehicle_enforce.core.db import listen
from vehicle_enforce.exports import jobs, outbox


def init_app(_app: Flask) -> None:
    signals.connect(signals.records_stored, outbox.on_records_stored)
    signals.connect(signals.bulk_writes_due, outbox.write_now)
    listen(Session, "before_commit", outbox.write_outbox)
    listen(Session, "after_soft_rollback", outbox.forget_outbox)
    tasks.register("exports.run", jobs.run_exports)
