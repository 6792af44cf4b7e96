"""SQLite connection settings: enforce foreign keys and let readers run beside one writer."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from vehicle_enforce.core.db import listen


def init_app(_app: Any) -> None:
    """Set the pragmas on every new SQLite connection."""
    listen(Engine, "connect", _sqlite_pragmas)


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
