"""Set-wise inserts that skip rows whose natural key already exists (idempotent retries, concurrent posts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from vehicle_enforce.extensions import db


def insert_ignore_conflicts(
    table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str], returning: Sequence[str] = ()
) -> list[Any]:
    """INSERT ... ON CONFLICT (key) DO NOTHING for many rows; returns the `returning` columns of inserted rows.

    Rows another transaction inserted first are skipped, not errors: the caller re-reads them by key.
    On PostgreSQL a concurrent uncommitted insert of the same key makes this wait for it, so nothing
    is stored twice. Runs as batched multi-row statements (SQLAlchemy insertmanyvalues).
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=list(key))
    if returning:
        stmt = stmt.returning(*(table.c[name] for name in returning))
        return list(db.session.execute(stmt, list(rows)).all())
    db.session.execute(stmt, list(rows))
    return []
