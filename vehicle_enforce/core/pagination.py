"""Keyset pagination on id for JSON listings: `{"results": [...], "next_cursor": "..." | null}`."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from pydantic import Field
from sqlalchemy import Select

from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.schemas import QuerySchema
from vehicle_enforce.extensions import db

MAX_LIMIT = 1000


class PageQuery(QuerySchema):
    """`?limit=` (1-1000, default 100) and `?cursor=` from the previous page's next_cursor."""

    limit: int = Field(default=100, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "id":
            raise ValueError(kind)
        return int(value)
    except ValueError:
        raise Invalid("cursor is not one this service issued", {"cursor": "invalid cursor"}) from None


def paginate(
    stmt: Select[Any], id_column: Any, page: PageQuery, render: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """Run `stmt` (one entity selected) ordered by id after the cursor; render one page."""
    if page.cursor:
        stmt = stmt.where(id_column > decode_cursor(page.cursor))
    rows = db.session.scalars(stmt.order_by(id_column).limit(page.limit + 1)).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return {
        "results": [render(r) for r in rows],
        "next_cursor": encode_cursor(rows[-1].id) if more and rows else None,
    }
