"""One transaction per request, job or CLI command: services flush, the boundary commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from vehicle_enforce.core import tasks
from vehicle_enforce.extensions import db


def commit() -> None:
    """Commit the session, then run what waited for the commit (background tasks)."""
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        tasks.discard_pending()
        raise
    tasks.flush_pending()


@contextmanager
def atomic() -> Iterator[None]:
    try:
        yield
    except Exception:
        db.session.rollback()
        tasks.discard_pending()
        raise
    commit()
