"""The one owner of every transaction: services flush, never commit; the boundary commits.

There are three boundaries, and each commits in exactly one place, here:

* **A request** (`Flask.dispatch_request` below, as indico's `RH.process` does): the view runs and its
  answer is made; an answer under 400 (a page, a redirect, a 201) commits, anything else (an exception,
  a 4xx or 5xx answer) rolls back. Views and API handlers never commit.
* **A CLI command or a script**: `@atomic()` (or `with atomic():`) around its body.
* **A background job**: `core.jobs.execute` runs each task inside `atomic()`.

`checkpoint()` commits what is done so far and goes on in a fresh transaction. It is for the few places
that must make part of their work durable before the rest: imports committing each chunk of a huge file
(job and CLI code), the export sender's claim before it sends, and the login's reserved try before the
slow password check. `tests/core/test_transactions.py` lists its callers and fails on a new one.

Work that must wait for the commit is given to `on_commit(callback)` (as pass-culture's `on_commit`):
`core.tasks.run_later` queues the job's id that way. The commit runs the callbacks; a rollback drops them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import flask
from flask import current_app, g, has_request_context

from vehicle_enforce.extensions import db

log = logging.getLogger(__name__)


def on_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current transaction commits; never if it rolls back.

    Callbacks must not raise (the data is saved by then); one that does is logged and skipped.
    """
    _after_commit().append(callback)


def _after_commit() -> list[Callable[[], object]]:
    if has_request_context():
        if "ve_after_commit" not in g:
            g.ve_after_commit = []
        in_request: list[Callable[[], object]] = g.ve_after_commit
        return in_request
    in_app: list[Callable[[], object]] = current_app.extensions.setdefault("ve_after_commit", [])
    return in_app


def commit() -> None:
    """Commit the session, then queue what waited for the commit (background tasks).

    Only the boundaries in this module (and tests acting as one) call it.
    """
    try:
        db.session.commit()
    except BaseException:
        rollback()
        raise
    waiting = _after_commit()
    callbacks, waiting[:] = list(waiting), []
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("after-commit callback %r failed", callback)


def rollback() -> None:
    """Roll the session back and forget the work that was to follow the commit."""
    db.session.rollback()
    _after_commit().clear()


def checkpoint() -> None:
    """Commit the work done so far and go on in a new transaction (see the module doc for who may)."""
    commit()


@contextmanager
def atomic() -> Iterator[None]:
    """One transaction around a CLI command, a script or a job: commit on success, roll back on error.

    Usable as `with atomic():` and as the decorator `@atomic()`.
    """
    try:
        yield
    except BaseException:
        rollback()
        raise
    commit()


class Flask(flask.Flask):
    """The app: each request is one transaction, committed or rolled back by its answer."""

    def dispatch_request(self) -> Any:
        try:
            response = self.make_response(super().dispatch_request())
        except BaseException:
            rollback()
            raise
        if response.status_code < 400:
            commit()
        else:
            rollback()
        return response
