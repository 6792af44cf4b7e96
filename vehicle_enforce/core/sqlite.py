"""SQLite connection settings: enforce foreign keys, let readers run beside one writer, and keep
savepoints inside the transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from vehicle_enforce.core.db import listen


def init_app(_app: Any) -> None:
    """Set the pragmas on every new SQLite connection."""
    listen(Engine, "connect", _sqlite_pragmas)
    listen(Engine, "savepoint", _begin_before_a_first_savepoint)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_before_a_first_savepoint(conn: Any, _name: str) -> None:
    """Open the transaction before a SAVEPOINT that would otherwise open it itself.

    pysqlite begins a transaction only before a write. A SAVEPOINT issued earlier (a row's savepoint in
    an import, an idempotent insert) then starts the transaction, and its RELEASE commits it: a later
    rollback (a refused request, a failed job) could not undo the row. SAVEPOINT outside a transaction
    begins a deferred one, exactly as this BEGIN does, so locking is unchanged; only RELEASE no longer
    commits.
    """
    if conn.dialect.name != "sqlite":
        return
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is not None and not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")
