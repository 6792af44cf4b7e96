"""The request id: what ties together a request's log lines, its audit rows and the jobs it queued.

In a request it is the client's `X-Request-ID` when that is short and plain, otherwise a new one, kept
in `g` for the rest of the request (and sent back in the answer). A background job runs with the id of
the request that queued it (`jobs.Job.request_id`), bound here by the worker for the job's duration, so
the job's log lines and audit rows carry it too. Elsewhere (a CLI command) there is none unless bound.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator

from flask import g, has_request_context, request

from vehicle_enforce.core.security import valid_request_id

_bound: contextvars.ContextVar[str | None] = contextvars.ContextVar("ve_request_id", default=None)


def new() -> str:
    return uuid.uuid4().hex


def current() -> str | None:
    """The id of the request being answered, or of the request whose job this worker runs."""
    if has_request_context():
        rid = g.get("request_id")
        if rid is None:
            offered = request.headers.get("X-Request-ID")
            # A client's id is kept only when short and plain; anything else is replaced, never refused.
            rid = offered if valid_request_id(offered) else new()
            g.request_id = rid
        return str(rid)
    return _bound.get()


@contextlib.contextmanager
def bound(request_id: str | None) -> Iterator[None]:
    """Run the body with `request_id` as the current id (a worker running a job, a scheduled task)."""
    token = _bound.set(request_id)
    try:
        yield
    finally:
        _bound.reset(token)
