"""Domain errors, the JSON error shape every API answer uses, and the one page error handler.

API: `{"error": {"code": "...", "message": "...", "fields": {"field": "problem"}}}`.
Pages: a refused form (`FormError`, `ServiceError`) is drawn again with the Chinese message beside each
field (`handle_refusal`; see `core/forms.py` for how a page declares its form). Every other error a browser
meets (403, 404, 405, 413, an expired or missing CSRF token, 500...) is one Chinese page in the app's frame
with a way back (`error_page`, texts in `core/messages.ERROR_PAGES`); the API keeps its JSON.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from vehicle_enforce.core import messages, requestid


class ServiceError(Exception):
    """A refusal with an HTTP meaning; services raise these, the API renders them."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, fields: dict[str, str] | None = None, *, codes: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        # Field → catalogue code (`core/messages.MESSAGES`), for a problem whose text is not fixed.
        self.codes = dict(codes or {})


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class PayloadTooLarge(ServiceError):
    status, code = 413, "payload_too_large"


class UnsupportedMedia(ServiceError):
    status, code = 415, "unsupported_media_type"


class Invalid(ServiceError):
    """A well-formed request whose values break a rule (HTTP 422)."""

    status, code = 422, "invalid"


class FormError(ValueError):
    """A form value that cannot be read; `fields` maps each field to its problem, in Chinese."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


class FormInvalid(FormError):
    """Form values the operation's schema refuses; `fields` maps each field to its Chinese problem."""

    def __init__(self, fields: dict[str, str], labels: Mapping[str, str] | None = None) -> None:
        names = labels or {}
        super().__init__("；".join(f"{names.get(k, k)}：{v}" for k, v in fields.items()), fields)
        self.labels = dict(names)


_PG_KEY = re.compile(r"Key \(([a-z_]+)(?:, [a-z_, ]+)?\)=")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: [a-z_]+\.([a-z_]+)")


def integrity_refusal(exc: IntegrityError) -> ServiceError | None:
    """The refusal a constraint the database enforced stands for, naming the column where it can.

    The safety net under the services' own checks (which name the field in every case): a reference to
    a row that does not exist is a 422, a value already taken a 409, never a 500. Other constraint
    failures (NOT NULL, CHECK) are the service's bug and stay a 500.
    """
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)  # psycopg
    text = str(orig)
    detail = getattr(getattr(orig, "diag", None), "message_detail", None) or ""
    column = (m.group(1) if (m := _PG_KEY.search(detail)) else None) if state else None
    if state == "23503" or (state is None and "FOREIGN KEY constraint failed" in text):
        fields = {column: "不存在 / no such record"} if column else {}
        return Invalid("引用的记录不存在 / a referenced record does not exist", fields)
    if state == "23505" or (state is None and "UNIQUE constraint failed" in text):
        if state is None and (m := _SQLITE_UNIQUE.search(text)):
            column = m.group(1)
        return Conflict(
            "与已有记录重复 / the value is already taken", {column: "已存在 / already exists"} if column else {}
        )
    return None


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    response = jsonify(error_body(code, message, fields))
    response.status_code = status
    return response


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


#: Addresses that answer machines: their errors are JSON whatever the client accepts.
MACHINE_PATHS = ("/api/", "/healthz", "/readyz", "/metrics")


def _wants_json() -> bool:
    """The API, the probes, and a client that asks for JSON and not HTML get JSON; a browser gets a page."""
    if request.path.startswith(MACHINE_PATHS):
        return True
    accept = request.accept_mimetypes
    return accept.accept_json and not accept.accept_html


def _way_back() -> str | None:
    """The page the visitor came from on this site (返回上一页): the form a refused POST came from, or
    another page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/"):
        return None
    if referrer.path == request.path and request.method == "GET":
        return None
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


def error_page(status: int, kind: int | str | None = None, text: str | None = None) -> Response:
    """The Chinese error page in the app's frame (with the menu when logged in) and a way back.

    `kind` picks the words in `messages.ERROR_PAGES` (the status by default; "csrf" for a form's token);
    `text` replaces the explanation with the refusal's own Chinese words."""
    pages = messages.ERROR_PAGES
    title, explained = pages.get(kind or status) or pages[500 if status >= 500 else 400]
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    explained = text or explained.format(limit=limit, request_id=requestid.current() or "—")
    try:
        body = render_template("errors/page.html", status=status, title=title, text=explained, back=_way_back())
    except Exception:  # the frame itself failed (its menu reads the database): the words without it
        current_app.logger.exception("error page for %s drawn without the frame", status)
        body = render_template("errors/bare.html", status=status, title=title, text=explained)
    return make_response(body, status)


def refusal_of(endpoint: str | None, app: Flask) -> tuple[Callable[..., Any], str, dict[str, str]] | None:
    view = app.view_functions.get(endpoint or "")
    return getattr(view, "ve_refusal", None)


def handle_refusal(exc: FormError | ServiceError, app: Flask) -> Response | None:
    """The page error handler: draw the form's page again with the Chinese messages (None: not a form).

    A page's form is a POST, or a GET list's filters: the list declares a page that draws its filters
    with no rows, so a hand-edited address is answered with the list's own page, not the API's JSON."""
    declared = refusal_of(request.endpoint, app)
    if declared is None or request.method not in ("POST", "GET"):
        return None
    page, failed, labels = declared
    fields, general = messages.page_messages(exc)
    labels = {**labels, **getattr(exc, "labels", {})}
    # A field the page has no name for is not prefixed with its key: the flash stays Chinese.
    problems = [f"{labels[k]}：{v}" if k in labels and not v.startswith(labels[k]) else v for k, v in fields.items()]
    flash(f"{failed}：{'；'.join([*([general] if general else []), *problems])}", "error")
    g.form_errors = fields
    wanted = inspect.signature(page).parameters
    args = {k: v for k, v in (request.view_args or {}).items() if k in wanted}
    response = make_response(page(**args))
    status = exc.status if isinstance(exc, ServiceError) and 400 <= exc.status < 500 else 422
    if response.status_code < 400:
        response.status_code = status
    return response


def field_error(name: str, when: bool = True) -> Markup:
    """The refusal's message for field `name`, to put beside its control (nothing when none)."""
    errors = g.get("form_errors") or {}
    if not when or name not in errors:
        return Markup("")
    return Markup(' <span class="field-error" role="alert" data-field="{}">{}</span>').format(name, errors[name])


def submitted(name: str, default: Any = "") -> Any:
    """What was typed into `name` when the page is drawn again after a refusal, else `default`."""
    if g.get("form_errors") is None:
        return default
    return request.form.get(name, default)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["field_error"] = field_error
    app.jinja_env.globals["submitted"] = submitted

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        page = handle_refusal(exc, app)  # a page form's refusal (only page POST views declare one)
        if page is not None:
            return page
        if not _wants_json():  # a page's refusal with no form to draw again: the error page, in Chinese
            fields, general = messages.page_messages(exc)
            words = general if exc.status not in (403, 404) else None  # not found reads one way only
            return error_page(exc.status, text="；".join([*([words] if words else []), *fields.values()]) or None)
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(FormError)
    def _form_error(exc: FormError) -> Any:
        page = handle_refusal(exc, app)
        if page is not None:
            return page
        if not _wants_json():
            fields, general = messages.page_messages(exc)
            return error_page(422, text="；".join([*([general] if general else []), *fields.values()]) or None)
        return error_response(422, "invalid", str(exc), exc.fields)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status < 400:
            return exc
        if not _wants_json():
            if exc.response is not None:  # the page its raiser drew (the rate limits' 核验过于频繁, login page)
                return exc.response
            return error_page(status, "csrf" if isinstance(exc, CSRFError) else status)
        code = _HTTP_CODES.get(status, "error")
        message = exc.description or code
        if status == 413:
            message = "request body is larger than the limit"
        if status == 429:
            message = "请求过于频繁（登录失败次数过多），请稍后再试"
        return error_response(status, code, message)

    @app.errorhandler(IntegrityError)
    def _integrity_error(exc: IntegrityError) -> Any:
        refusal = integrity_refusal(exc)
        if refusal is None:
            return _unexpected(exc)
        app.logger.warning("constraint refused on %s %s: %s", request.method, request.path, exc.orig)
        return _service_error(refusal)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if not _wants_json():
            return error_page(500)
        return error_response(500, "internal_error", "internal server error")
