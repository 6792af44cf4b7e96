"""The compatibility rule of the JSON API (CHANGELOG.md): nothing a client reads disappears at once.

A change that removes or renames a key (or an operation) keeps the old shape for one more release and
says so with a `Deprecation` header (RFC 9745: `@<epoch seconds>` of the day it was deprecated) and a
`Link` to the docs, the old key still filled. :func:`renamed_keys` does this
for a renamed response key; :func:`deprecate` marks any response.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

from flask import Response, make_response

from vehicle_enforce.core import jsontext

F = TypeVar("F", bound=Callable[..., Any])

CHANGELOG_LINK = '</api/docs>; rel="deprecation"; type="text/html"'


def deprecate(response: Response, since: date) -> Response:
    """Mark `response` as deprecated since `since` (RFC 9745 `Deprecation: @epoch`)."""
    epoch = int(datetime(since.year, since.month, since.day, tzinfo=UTC).timestamp())
    response.headers["Deprecation"] = f"@{epoch}"
    response.headers.add("Link", CHANGELOG_LINK)
    return response


def renamed_keys(since: date, **old_to_new: str) -> Callable[[F], F]:
    """A view whose response key `new` was called `old`: the answer carries both (same value) for one
    release, with the `Deprecation` header. `@renamed_keys(date(2026, 12, 7), plate_no="plate")`."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            response = make_response(view(*args, **kwargs))
            body = response.get_json(silent=True) if response.is_json else None
            if isinstance(body, dict):
                for old, new in old_to_new.items():
                    if new in body and old not in body:
                        body[old] = body[new]
                response.set_data(jsontext.dumps(body))
                deprecate(response, since)
            return response

        return cast(F, wrapper)

    return decorator
