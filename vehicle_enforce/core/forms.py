"""Server-rendered form handling shared by the pages: unreadable input and refused actions.

A page's POST handler reads the form, calls the service, commits, flashes what was done and
redirects. When the input cannot be read (`FormError`, raised by the page's own parsing) or the service
refuses (`ServiceError`), `refused_to_flash` rolls the transaction back, flashes the reason in Chinese
and sends the user back to the page: nothing half-done is stored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from flask import flash, redirect, url_for
from pydantic import BaseModel, ValidationError

from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.core.messages import pydantic_message
from vehicle_enforce.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound="BaseModel")


class FormError(ValueError):
    """A form value that cannot be read (its message is shown to the user, in Chinese)."""


class FormInvalid(FormError):
    """Form values the operation's schema refuses; `fields` maps each field to its Chinese problem."""

    def __init__(self, fields: dict[str, str], labels: Mapping[str, str] | None = None) -> None:
        self.fields = fields
        names = labels or {}
        super().__init__("；".join(f"{names.get(k, k)}：{v}" for k, v in fields.items()))


def parse_form(model: type[M], data: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> M:
    """Validate a page form's values with the schema of the same API operation.

    The values are text (or already converted, e.g. a local time read as Asia/Shanghai), so pydantic
    converts them as it does query strings; every rule of the schema applies (lengths from the
    columns, ranges, finite numbers, dates 1900-2199). Refusals name each field in Chinese
    (`labels` gives the page's names for the fields).
    """

    try:
        return model.model_validate(dict(data), strict=False)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "form"
            fields.setdefault(loc, pydantic_message(dict(err)))
        raise FormInvalid(fields, labels) from None


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

        return cast(F, wrapper)

    return decorator
