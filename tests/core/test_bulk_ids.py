"""Ids reserved for a large flush (PostgreSQL): every row gets its own, in the order it was added."""

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
