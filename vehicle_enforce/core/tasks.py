"""Background work: plain functions, run inline in the embedded default, through Celery in production.

A task is an ordinary function registered with `@background_task`. `run_later(name, **kwargs)` runs it
after the current transaction commits: inline when no broker is configured (Redis is never contacted),
or sent to the Celery worker when VE_BROKER_URL is set. Tasks take ids, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_request_context

TASKS: dict[str, Callable[..., Any]] = {}


def background_task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        TASKS[name] = func
        return func

    return decorator


def init_app(app: Flask) -> None:
    app.extensions["ve_pending_tasks"] = []
    if app.config.get("BROKER_URL"):
        from vehicle_enforce.celery_app import celery_init_app

        celery_init_app(app)


def run_later(name: str, **kwargs: Any) -> None:
    """Queue task `name` to run once the caller's transaction has committed."""
    if name not in TASKS:
        raise KeyError(f"unknown background task {name!r}")
    for value in kwargs.values():
        if hasattr(value, "_sa_instance_state"):
            raise TypeError("pass ids to background tasks, not ORM objects")
    pending = _pending()
    pending.append((name, kwargs))


def _pending() -> list[tuple[str, dict[str, Any]]]:
    if has_request_context():
        if "ve_tasks" not in g:
            g.ve_tasks = []
        return g.ve_tasks  # type: ignore[no-any-return]
    return current_app.extensions["ve_pending_tasks"]  # type: ignore[no-any-return]


def flush_pending() -> int:
    """Run or send every queued task; call after a successful commit. Returns how many ran."""
    pending = _pending()
    jobs, pending[:] = list(pending), []
    celery = current_app.extensions.get("celery")
    for name, kwargs in jobs:
        if celery is not None:
            celery.send_task(name, kwargs=kwargs)
        else:
            run_now(name, **kwargs)
    return len(jobs)


def discard_pending() -> None:
    _pending().clear()


def run_now(name: str, *args: Any, **kwargs: Any) -> Any:
    """Run a task in this process in its own transaction."""
    from vehicle_enforce.extensions import db

    try:
        result = TASKS[name](*args, **kwargs)
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("background task %s failed", name)
        raise
    return result


@background_task("core.ping")
def ping(value: str = "pong") -> str:
    """A trivial task that proves the worker wiring end to end."""
    return value
