"""Configuration: defaults here, overridden by `VE_*` environment variables, then by a test override.

Only VE_DATABASE_URL and VE_SECRET_KEY matter for a start. Nothing is read at import time.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from vehicle_enforce.core import jsontext

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # default: SQLite file in the instance folder
    "SECRET_KEY": None,  # default: a random key kept in the instance folder
    "EVIDENCE_PATH": None,  # default: <instance>/evidence
    "BROKER_URL": None,  # Celery broker; with none, jobs go on the embedded queue (huey, SQLite file)
    "TASK_QUEUE_PATH": None,  # default: <instance>/tasks.sqlite3 (the embedded queue)
    "JOB_STALE_SECONDS": 300,  # a job still pending this long is queued again by the sweep
    "RESULT_BACKEND": None,
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,  # fits a batch of 10,000 passes
    "RULES_FILE": None,  # override for remote-sensing rules and limits
    "PLATE_CONFIDENCE_THRESHOLD": 0.8,  # judges the plate-read confidence a device reports with a pass
    # judges our own plate reader's confidence (another scale): None = the value calibrated on the
    # validation photos, plates.reading.reader.DOUBTFUL_BELOW (plates/README.md)
    "PLATE_READER_CONFIDENCE_THRESHOLD": None,
    "PLATE_IMAGE_MAX_BYTES": 8 * 1024 * 1024,  # one uploaded photo to read a plate from
    "PLATE_IMAGE_MAX_PIXELS": 40_000_000,  # declared width x height, checked before decoding
    "HOTLIST_MISS_RETENTION_DAYS": 30,
    "TRANSMISSION_RATE_THRESHOLD": 0.95,
    "STATION_SILENT_MINUTES": 120,  # an automatic station silent this long in its operating hours is reported
    "STATION_OPERATING_HOURS": (7, 19),  # Beijing time, [start hour, end hour)
    "EXPORT_TARGETS": None,  # {"provincial": {"url": ..., "token": ..., "batch_size": 500, "timeout": 10}}
    "EXPORT_BACKOFF_BASE": 30.0,
    "EXPORT_BACKOFF_MAX": 3600.0,
    "EXPORT_MAX_ATTEMPTS": 20,
    "EXPORT_LEASE_SECONDS": 300,
    "REGION_CODE": "140500",  # Jincheng
    "LOG_LEVEL": "INFO",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # None: Secure when VE_ENV=production or when the request came over HTTPS; true/false forces it.
    "SESSION_COOKIE_SECURE": None,
    "ENV": "development",  # VE_ENV=production: session cookies are always Secure
    "SESSION_IDLE_TIMEOUT": 30 * 60,  # seconds without a request before a page session ends
    "SESSION_MAX_LIFETIME": 12 * 3600,  # seconds after login when a page session ends regardless
    # Flask-Limiter storage for the login limit: redis://127.0.0.1:6379/1 in production. memory:// counts
    # in each gunicorn worker on its own; the account lockout in the database is the hard limit.
    "RATELIMIT_STORAGE_URL": "memory://",
    "LOGIN_FAILURE_LIMIT": "20 per 15 minutes",  # failed logins per client address
    "PROXY_COUNT": 0,  # reverse proxies in front of the app whose X-Forwarded-* headers are trusted
    "WTF_CSRF_TIME_LIMIT": None,
    "JSON_SORT_KEYS": False,
}


def load(app: Flask, override: dict[str, Any] | None = None) -> None:
    """Defaults win over Flask's own (MAX_CONTENT_LENGTH, SESSION_COOKIE_SAMESITE...); `VE_*` environment
    variables win over the defaults, and a test or embedding override wins over both."""
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("VE")
    if override:
        app.config.update(override)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{instance / 'vehicle_enforce.sqlite3'}"
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(instance)
    if not app.config["EVIDENCE_PATH"]:
        app.config["EVIDENCE_PATH"] = str(instance / "evidence")
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATELIMIT_STORAGE_URL"]
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict[str, Any]:

    # JSON columns (evidence, audit changes, feed payloads) encoded and decoded by orjson.
    json = {"json_serializer": jsontext.dumps, "json_deserializer": jsontext.loads}
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}, **json}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10, **json}


def _instance_secret(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()
