"""resend_failed: every failed record goes back in the queue, audited; rejected ones wait for a person."""

from __future__ import annotations

from sqlalchemy import select

from vehicle_enforce.core.actors import system
from vehicle_enforce.exports.schemas import ResendIn

OPERATOR = system("cli:huanbao")


def test_resend_failed_requeues_failed_records_only(app):
    from vehicle_enforce import signals
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.exports import services
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    for i in range(4):
        signals.send_record("remote_sensing_pass", i + 1, {"record_id": f"R{i + 1}"}, station="JC-RS-01")
    transaction.commit()
    rows = db.session.scalars(select(ExportRecord).where(ExportRecord.target == "provincial").order_by(ExportRecord.id))
    records = rows.all()
    for record, status in zip(records, ["failed", "failed", "rejected", "acknowledged"], strict=True):
        record.status, record.attempts, record.last_error = status, 8, "platform down"
    national = db.session.scalars(select(ExportRecord).where(ExportRecord.target == "national")).first()
    national.status = "failed"
    transaction.commit()

    resent = services.resend_failed(ResendIn(note="网络恢复后重发"), actor=OPERATOR, target="provincial")
    transaction.commit()

    assert sorted(r.id for r in resent) == [records[0].id, records[1].id]
    db.session.expire_all()
    assert [(r.status, r.attempts, r.last_error) for r in records] == [
        ("pending", 0, None),
        ("pending", 0, None),
        ("rejected", 8, "platform down"),
        ("acknowledged", 8, "platform down"),
    ]
    assert national.status == "failed"  # another target, not asked for
    audited = db.session.execute(
        select(AuditEntry.object_id, AuditEntry.actor_name).where(AuditEntry.action == "export.resend")
    ).all()
    assert sorted(audited) == sorted((str(r.id), "cli:huanbao") for r in resent)
    assert (
        services.resend_failed(ResendIn(), actor=OPERATOR) == [national] and national.status == "pending"
    )  # no target: all of them
