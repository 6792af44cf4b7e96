"""Page forms: parse with the API's schema, and one error handler for every refused submission.

A page's POST view reads the form (`parse_form`, the schema of the same API operation), calls the
service and redirects. It does not catch refusals: it declares the page that shows its form with
`@refused_redraws(page, "<what was not done>")`. When the view raises `FormError` (the form cannot be
read) or a `ServiceError` (the service refuses), the request's transaction rolls back
(`core/transaction.py`) and `core.errors.handle_refusal`, the one page error handler:

1. turns the error into Chinese through the catalogue (`core/messages.page_messages`): one message per
   field, keyed by the error's code, and a message for what belongs to no field;
2. draws the form's page again (answer 422, or the error's own 4xx) with `g.form_errors`: templates put
   `{{ field_error("name") }}` beside each control, and `{{ submitted("name", default) }}` keeps what
   was typed;
3. flashes "<what was not done>：<every problem>", so nothing is lost for a field the page does not show.

No view keeps its own table of messages; a new form page gets all of this by declaring its page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from vehicle_enforce.core.errors import FormError, FormInvalid
from vehicle_enforce.core.messages import pydantic_message
from vehicle_enforce.core.schemas import field_path

__all__ = ["FormError", "FormInvalid", "field_refused", "parse_form", "refused_redraws"]

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound="BaseModel")


def field_refused(field: str, problem: str, label: str | None = None) -> FormInvalid:
    """One field of the form refused, with its Chinese problem (and the page's name for the field)."""
    return FormInvalid({field: problem}, {field: label} if label else None)


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
            loc = field_path(err["loc"], "form")
            fields.setdefault(loc, pydantic_message(dict(err)))
        raise FormInvalid(fields, labels) from None


def refused_redraws(page: Callable[..., Any], failed: str, labels: Mapping[str, str] | None = None) -> Callable[[F], F]:
    """Declare the page that shows this POST view's form, and what a refusal did not do ("修改未保存").

    `labels` names the fields as the page does, for the flash. The view raises; `handle_refusal` draws
    `page` again (called with the view's URL arguments it takes) with the messages beside the fields.
    """

    def decorator(view: F) -> F:
        # A marker on the function, read by core.errors.refusal_of (functions take any attribute).
        view.ve_refusal = (page, failed, dict(labels or {}))  # type: ignore[attr-defined]  # a marker, see above
        return view

    return decorator
