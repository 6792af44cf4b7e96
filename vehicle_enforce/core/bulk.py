"""Bulk inserts for imports: COPY on PostgreSQL, executemany elsewhere, inside the caller's transaction.

COPY skips SQLAlchemy's per-parameter processing and the statement round trips, which is what bounds a
million-row import; it runs on the session's own connection, so it commits or rolls back with the rest.
Values must already be what the database stores (aware datetimes, dates, str, bool, int, None).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, text

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
