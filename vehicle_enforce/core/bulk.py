"""Set-wise writes for imports and batch ingestion, inside the caller's transaction.

`insert_rows` uses COPY on PostgreSQL (no per-parameter processing, no statement round trips: what
bounds a million-row import) and executemany elsewhere; it runs on the session's own connection, so it
commits or rolls back with the rest. Values must already be what the database stores (aware
datetimes, dates, str, bool, int, None). `insert_ignore_conflicts` skips rows whose natural key
already exists (idempotent retries, concurrent posts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite

from vehicle_enforce.extensions import db


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`."""
    if not rows:
        return
    columns = list(rows[0])
    if not _is_postgresql():
        db.session.execute(table.insert(), [{c: r.get(c) for c in columns} for r in rows])
        return
    cursor = db.session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row.get(c) for c in columns])


def reserve_ids(table: Table, count: int) -> list[int] | None:
    """Take `count` ids from the table's sequence on PostgreSQL (None elsewhere: let the insert assign)."""
    if count == 0 or not _is_postgresql():
        return None
    result = db.session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": count},
    )
    return [int(v) for v in result.scalars()]


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
    insert = postgresql.insert if _is_postgresql() else sqlite.insert
    stmt = insert(table).on_conflict_do_nothing(index_elements=list(key))
    if returning:
        stmt = stmt.returning(*(table.c[name] for name in returning))
        return list(db.session.execute(stmt, list(rows)).all())
    db.session.execute(stmt, list(rows))
    return []
