"""The audit log records who did what, in the same transaction, and cannot be altered."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from vehicle_enforce.core.actors import system


def test_token_creation_is_audited_with_actor_and_request_id(client, auth_headers):
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    admin = auth_headers("admin")
    r = client.post(
        "/api/v1/tokens", json={"name": "gw", "department": "police"}, headers={**admin, "X-Request-ID": "req-42"}
    )
    assert r.status_code == 201
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.request_id == "req-42")).one()
    assert entry.action == "token.create"
    assert entry.actor_kind == "token" and entry.department == "admin"
    assert entry.changes["department"] == "police"
    assert entry.at.tzinfo is not None


def test_application_cannot_change_an_audit_entry(app):
    from vehicle_enforce.core import audit
    from vehicle_enforce.extensions import db

    entry = audit.record("test.action", "thing", 1, {"a": 1}, actor=system("test"))
    db.session.commit()
    entry.action = "tampered"
    with pytest.raises(audit.AuditImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(audit.AuditEntry, entry.id))
    with pytest.raises(audit.AuditImmutable):
        db.session.flush()
    db.session.rollback()


@pytest.mark.commits
def test_database_refuses_update_and_delete_of_audit_rows(app):
    from vehicle_enforce.core import audit
    from vehicle_enforce.extensions import db

    entry = audit.record("test.action", "thing", 1, actor=system("test"))
    db.session.commit()
    statements = ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"]
    if db.engine.dialect.name == "postgresql":  # SQLite has no TRUNCATE (DELETE covers it)
        statements += ["TRUNCATE audit_log", "TRUNCATE audit_log RESTART IDENTITY CASCADE"]
    for statement in statements:
        with db.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    assert db.session.get(audit.AuditEntry, entry.id).action == "test.action"


def test_failed_request_leaves_no_audit_entry(client, auth_headers):
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    admin = auth_headers("admin")
    before = len(db.session.scalars(select(AuditEntry)).all())
    r = client.post("/api/v1/tokens", json={"name": "s", "department": "station", "station": "NOPE"}, headers=admin)
    assert r.status_code == 422
    assert len(db.session.scalars(select(AuditEntry)).all()) == before
