"""Server-rendered form handling shared by the pages: unreadable input and refused actions.

A page's POST handler reads the form, calls the service, commits, flashes what was done and
redirects. When the input cannot be read (`FormError`, raised by the page's own parsing) or the service
refuses (`ServiceError`), `refused_to_flash` rolls the transaction back, flashes the reason in Chinese
and sends the user back to the page: nothing half-done is stored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, url_for

from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


class FormError(ValueError):
    """A form value that cannot be read (its message is shown to the user, in Chinese)."""


def refused_to_flash(failed: str, explain: Callable[[Exception], str], back: str) -> Callable[[F], F]:
    """Turn FormError / ServiceError in the view into a rollback, "<failed>：<explain(exc)>" and a
    redirect to the endpoint `back`."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except (FormError, ServiceError) as exc:
                db.session.rollback()
                flash(f"{failed}：{explain(exc)}", "error")
                return redirect(url_for(back))

        return wrapper  # type: ignore[return-value]

    return decorator
