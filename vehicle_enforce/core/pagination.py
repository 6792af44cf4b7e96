"""Keyset pagination on `id` for API listings: `{"results": [...], "next_cursor": "..." | null}`."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import Field
from sqlalchemy import Select

from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.schemas import QuerySchema
from vehicle_enforce.extensions import db

T = TypeVar("T")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class PageQuery(QuerySchema):
    """Query parameters every listing accepts; subclass it to add filters."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, max_length=64)


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """Return the last id seen, or raise Invalid naming the `cursor` field."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id" or not value.isdigit():
            raise ValueError(text)
        return int(value)
    except ValueError:
        raise Invalid("cursor is not one this API issued", {"cursor": "invalid cursor"}) from None


def page(stmt: Select[Any], id_column: Any, query: PageQuery) -> tuple[Sequence[Any], str | None]:
    """Run `stmt` (selecting ORM rows) after the cursor, ordered by id; return rows and the next cursor."""
    after = decode_cursor(query.cursor)
    if after is not None:
        stmt = stmt.where(id_column > after)
    rows = db.session.scalars(stmt.order_by(id_column).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return rows, encode_cursor(rows[-1].id) if more and rows else None


def page_json(rows: Sequence[T], next_cursor: str | None, render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    return {"results": [render(r) for r in rows], "next_cursor": next_cursor}


def keyset_page(
    stmt: Select[Any], id_column: Any, query: PageQuery, render: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """Like `page`, for statements selecting rows (tuples): render each row, return the listing body."""
    after = decode_cursor(query.cursor)
    if after is not None:
        stmt = stmt.where(id_column > after)
    rows: Sequence[Any] = db.session.execute(stmt.order_by(id_column).limit(query.limit + 1)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = encode_cursor(_row_id(rows[-1])) if more and rows else None
    return {"results": [render(row) for row in rows], "next_cursor": next_cursor}


def _row_id(row: Any) -> int:
    first = row[0]
    return int(first.id if hasattr(first, "id") else first)
