"""Keyset pagination on an integer id: `{"results": [...], "next_cursor": "..." | null}`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import Field
from sqlalchemy import Select

from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.schemas import QuerySchema
from vehicle_enforce.extensions import db

MAX_LIMIT = 1000


class PageQuery(QuerySchema):
    """`?limit=` (1..1000, default 100) and `?cursor=` (opaque: the last id of the previous page)."""

    limit: int = Field(default=100, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise Invalid("cursor is not one this API gave out", {"cursor": "invalid cursor"})
    return int(cursor)


def keyset_page(
    stmt: Select[Any], id_column: Any, query: PageQuery, render: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """Run `stmt` ordered by `id_column` after the cursor; return one page of rendered rows."""
    after = decode_cursor(query.cursor)
    if after is not None:
        stmt = stmt.where(id_column > after)
    rows: Sequence[Any] = db.session.execute(stmt.order_by(id_column).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    results = [render(row) for row in rows]
    next_cursor = str(_row_id(rows[-1])) if more and rows else None
    return {"results": results, "next_cursor": next_cursor}


def _row_id(row: Any) -> int:
    first = row[0]
    return int(first.id if hasattr(first, "id") else first)
