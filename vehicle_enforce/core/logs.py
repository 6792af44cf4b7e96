"""Logs: JSON lines (the shipped default) or text (`VE_LOG_FORMAT=text`, for development), on stderr.

Every record carries the request id (`core/requestid.py`: the request's, or the one a background job
runs under), so a request's lines, its audit rows and its jobs' lines are found together. Each answered
request adds one line (logger `vehicle_enforce.request`) with method, route (the URL rule, never the raw
path: no plates or ids in it), status, duration in ms, principal and county (the configured region code).

JSON lines are written by python-json-logger: a `logging.Formatter`, so the standard library's loggers
(the service's own, gunicorn's, Celery's, huey's) all come out in one format without a second logging
API, which is what a structlog setup would have added. Chinese stays readable (no \\u escapes).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

from flask import Flask, current_app, g, request
from pythonjsonlogger.json import JsonFormatter

from vehicle_enforce.core import requestid

FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
REQUEST_LOGGER = "vehicle_enforce.request"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (None outside a request or job)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            try:
                record.request_id = requestid.current()
            except Exception:  # a record logged while the request context is torn down
                record.request_id = None
        return True


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is when a record comes (like logging's last-resort handler), so a
    test's or Celery's replacement of stderr is followed."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # under the handler's lock (Handler.handle holds it)
        super().emit(record)


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def handler(log_format: str = "json") -> logging.Handler:
    """The one handler of the service's processes (also named in gunicorn's logging configuration)."""
    if log_format not in FORMATS:
        raise ValueError(f"VE_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    out = StderrHandler()
    out.setFormatter(formatter(log_format))
    out.addFilter(RequestIdFilter())
    out._ve_handler = True  # type: ignore[attr-defined]  # marks the handler this module installed
    return out


def configure(log_format: str, level: str | int = "INFO") -> None:
    """Put the service's handler on the root logger, replacing one installed before (create_app runs
    once per process in production, many times in tests); handlers others added stay."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_ve_handler", False)]:
        root.removeHandler(old)
    root.addHandler(handler(log_format))
    root.setLevel(level)


def log_format(app: Flask) -> str:
    return str(app.config.get("LOG_FORMAT") or "json").strip().lower()


def init_app(app: Flask) -> None:
    configure(log_format(app), app.config["LOG_LEVEL"])


def gunicorn_logconfig(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """gunicorn's own lines (start, workers booted, timeouts) through the same handler. Its access log
    stays off: the app writes one line per request with more in it (`request_line`)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": level, "handlers": []},  # the app adds its handler to root in each worker
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["service"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {"service": {"()": "vehicle_enforce.core.logs.handler", "log_format": log_format}},
        "formatters": {},
    }


def principal_text() -> str | None:
    """Who made the request, when the request resolved it (`user:li`, `token:rs-01`); None when not."""
    who = g.get("principal")
    if who is None:
        return None
    return f"{who.kind}:{who.name}"


def route() -> str:
    """The URL rule answered (`/api/v1/cases/<int:case_id>`), or `unmatched` (a 404 before routing)."""
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def request_line(status: int, duration_ms: float) -> None:
    """The request's one log line (called by the app's after-request hook)."""
    who = principal_text()
    fields = {
        "method": request.method,
        "route": route(),
        "status": status,
        "duration_ms": round(duration_ms, 1),
        "principal": who,
        "department": getattr(g.get("principal"), "department", None),
        # The caller's county (auth/scope.py), or the deployment's code for the city level and anonymous.
        "county": getattr(g.get("principal"), "county_code", None) or current_app.config.get("REGION_CODE"),
    }
    logging.getLogger(REQUEST_LOGGER).info(
        "%s %s %s %.1f ms", fields["method"], fields["route"], status, duration_ms, extra=fields
    )
