"""Set-wise inserts that skip rows whose natural key already exists (idempotent retries, concurrent posts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite

from vehicle_enforce.extensions import db


def insert_ignore_conflicts(
    table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str], returning: Sequence[str] = ()
) -> list[Any]:
    """INSERT ... ON CONFLICT (key) DO NOTHING for many rows; returns the `returning` columns of inserted rows.

    Rows another transaction inserted first are skipped, not errors: the caller re-reads them by key.
    On PostgreSQL a concurrent uncommitted insert of the same key makes this wait for it, so nothing
    is stored twice. Runs in the session's transaction.
    """
    if not rows:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        return _pg_copy_insert(table, rows, key, returning)
    stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(key))
    if returning:
        stmt = stmt.returning(*(table.c[name] for name in returning))
        return list(db.session.execute(stmt, list(rows)).all())
    db.session.execute(stmt, list(rows))
    return []


def _pg_copy_insert(
    table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str], returning: Sequence[str]
) -> list[Any]:
    """COPY the rows into a staging table, then one INSERT ... SELECT ... ON CONFLICT DO NOTHING.

    Multi-row VALUES statements spend most of their time building and parsing SQL text; COPY streams
    the values, so a 10,000-row batch costs about what COPY itself costs.
    """
    from psycopg.types.json import Json

    # COPY bypasses SQLAlchemy, so apply the columns' Python-side defaults here (once per batch).
    defaults: dict[str, Any] = {}
    for col in table.columns:
        if col.name in rows[0] or col.default is None or col.primary_key:
            continue
        default: Any = col.default
        if default.is_scalar:
            defaults[col.name] = default.arg
        elif default.is_callable:
            defaults[col.name] = default.arg(None)
    columns = list(rows[0]) + list(defaults)
    names = ", ".join(f'"{c}"' for c in columns)
    stage = f"_stage_{table.name}"
    json_columns = {c for c in columns if table.c[c].type._type_affinity.__name__ == "JSON"}
    raw = db.session.connection().connection.driver_connection
    # Identifiers below come from the table's metadata, never from input; values go through COPY.
    with raw.cursor() as cur:
        # Columns and types only (no defaults or constraints); kept per connection, emptied each use.
        create = f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS SELECT {names}'
        create += f' FROM "{table.name}"'
        cur.execute(create + " WITH NO DATA")
        cur.execute(f'TRUNCATE "{stage}"')
        with cur.copy(f'COPY "{stage}" ({names}) FROM STDIN') as copy:
            for row in rows:
                values = {**defaults, **row}
                copy.write_row([Json(values[c]) if c in json_columns else values[c] for c in columns])
        sql = f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{stage}"'  # noqa: S608
        sql += f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
        if returning:
            sql += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
        cur.execute(sql)
        found = list(cur.fetchall()) if returning else []
        cur.execute(f'TRUNCATE "{stage}"')
    return found
