"""Set-wise writes: ids reserved for a large flush (PostgreSQL), rows COPY'd as they are (binary format)."""

from __future__ import annotations

from sqlalchemy import event, func, select


def test_large_flush_gets_distinct_ids_in_add_order(app, backend):
    from vehicle_enforce.core import bulk
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.extensions import db

    def entry(n: int) -> AuditEntry:
        return AuditEntry(at=now_utc(), actor_kind="system", actor_name="test", action=f"test.{n}", object_type="test")

    few = [entry(n) for n in range(bulk.RESERVE_IDS_FROM - 1)]  # below the threshold: the database numbers them
    db.session.add_all(few)
    db.session.flush()
    many = [entry(n) for n in range(3 * bulk.RESERVE_IDS_FROM)]
    db.session.add_all(many)
    statements: list[str] = []
    record = lambda _c, _cur, statement, *_rest: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    inserts = [s for s in statements if "INSERT INTO audit_log" in s]
    if backend.name == "postgresql":
        # One short statement for all the rows, without RETURNING: psycopg parses it once.
        assert len(inserts) == 1 and "RETURNING" not in inserts[0] and len(inserts[0]) < 1000, inserts
    after = entry(-1)
    db.session.add(after)
    db.session.commit()

    ids = [e.id for e in few + many + [after]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    query = select(AuditEntry.id, AuditEntry.action).where(AuditEntry.object_type == "test")
    stored = {row_id: action for row_id, action in db.session.execute(query)}
    assert [stored[e.id] for e in many] == [f"test.{n}" for n in range(3 * bulk.RESERVE_IDS_FROM)]
    assert db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.object_type == "test")
    ) == len(ids)


def test_insert_rows_stores_every_value_as_given(app, backend):
    """Text (Chinese included), JSON text, dates, aware times, integers and nulls come back unchanged."""
    from datetime import UTC, date, datetime, timedelta, timezone

    from vehicle_enforce.core import bulk
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    at = datetime(2019, 11, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    payload = {"plate": "晋E12345", "values": {"no_ppm": 512.5, "ringelmann": 2}, "exceeded": [], "note": 'a "b"\\\tc'}
    rows = [
        {
            "target": "provincial",
            "kind": "remote_sensing_pass",
            "object_id": str(n),
            "station": None if n % 2 else "JC-RS-01",
            "idempotency_key": f"k:{n}",
            "payload": {**payload, "n": n},
            "occurred_at": at,
            "due_day": date(2019, 11, 1),
            "status": "pending",
            "attempts": n,
            "next_attempt_at": at,
            "created_at": at,
        }
        for n in range(3)
    ]
    bulk.insert_rows(ExportRecord.__table__, rows)
    db.session.commit()
    stored = db.session.scalars(select(ExportRecord).order_by(ExportRecord.object_id)).all()
    assert [r.payload for r in stored] == [{**payload, "n": n} for n in range(3)]
    assert [r.station for r in stored] == ["JC-RS-01", None, "JC-RS-01"]
    assert [r.attempts for r in stored] == [0, 1, 2]
    assert all(r.occurred_at == at and r.occurred_at.tzinfo is not None for r in stored)
    assert stored[0].occurred_at.astimezone(UTC) == at.astimezone(UTC)
    assert all(r.due_day == date(2019, 11, 1) for r in stored)


def test_a_bulk_written_time_compares_equal_to_the_same_time_from_a_query(app, backend):
    """A whole-second time written in bulk is stored as an ORM write stores it, so `=` and keyset cursors
    over it find it (SQLite compares the stored text: `…:15` ≠ `…:15.000000`)."""
    from datetime import UTC, date, datetime

    from vehicle_enforce.core import bulk
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    at = datetime(2019, 11, 1, 8, 30, 15, tzinfo=UTC)  # vendors send whole seconds
    row = {
        "target": "provincial",
        "kind": "remote_sensing_pass",
        "object_id": "1",
        "station": "JC-RS-01",
        "idempotency_key": "whole-second",
        "payload": {},
        "occurred_at": at,
        "due_day": date(2019, 11, 1),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
    }
    bulk.insert_rows(ExportRecord.__table__, [row])
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(ExportRecord.occurred_at == at)) == 1
    assert db.session.scalar(select(func.count()).where(ExportRecord.occurred_at < at)) == 0
