"""Configuration: defaults here, overridden by `VE_*` environment variables, then by a test override.

Only VE_DATABASE_URL and VE_SECRET_KEY matter for a start. Nothing is read at import time.
Every setting is described in SETTINGS_DOC; the README's configuration table is generated from it
(`python -m tools.settings_table --write`, checked by tests/core/test_config_table.py).
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
    # PostgreSQL role that owns the tables: migrations, partitions, retention (core/maintenance.py)
    "MAINTENANCE_DATABASE_URL": None,
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
    # days a month partition is kept after its month ended, per table (core/retention.py DEFAULT_DAYS)
    "RETENTION_DAYS": None,
    "ARCHIVE_PATH": None,  # default: <instance>/archive (retention's archive files)
    "TRANSMISSION_RATE_THRESHOLD": 0.95,
    "STATION_SILENT_MINUTES": 120,  # an automatic station silent this long in its operating hours is reported
    "STATION_OPERATING_HOURS": (7, 19),  # Beijing time, [start hour, end hour)
    "EXPORT_TARGETS": None,  # {"provincial": {"url": ..., "token": ..., "batch_size": 500, "timeout": 10}}
    "EXPORT_BACKOFF_BASE": 30.0,
    "EXPORT_BACKOFF_MAX": 3600.0,
    "EXPORT_MAX_ATTEMPTS": 20,
    "EXPORT_LEASE_SECONDS": 300,
    "REGION_CODE": "140500",  # Jincheng
    "COUNTY_CODE": None,  # read by the counties migration only
    "COUNTY_NAME": None,
    "REPORTING_UNIT": "晋城市生态环境局",  # 填报单位 of the city level's reports; counties: its branches
    "REPORTING_UNITS": None,  # {"140525": "晋城市生态环境局泽州分局"}: a county's unit when not the derived one
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "json",  # one JSON object a line (python-json-logger); "text" for development
    "METRICS_TOKEN": None,  # /metrics: None = callers on this host only; set = that bearer token only
    # psycopg 3 prepares a statement it ran 5 times; false behind PgBouncer < 1.21 in transaction mode
    "DATABASE_PREPARED_STATEMENTS": True,
    "INSTANCE_PATH": None,  # read by create_app before the rest (VE_INSTANCE_PATH), listed for the table
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
    # Notices (documents/): where the printed QR code and verification code lead, the issuing units and
    # their number templates, and the public check page's limit per client address.
    "PUBLIC_URL": "http://127.0.0.1:5000",
    "DOCUMENT_UNITS": None,  # {"140525:environment": {"name": "晋城市生态环境局泽州分局", "abbr": "泽环"}, ...}
    "DOCUMENT_NUMBER_TEMPLATES": None,  # {"environment": {"turn_back": "{abbr}{word}〔{year}〕{seq}号"}}
    "VERIFY_RATE_LIMIT": "30 per minute",
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
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        engine_options(app.config["SQLALCHEMY_DATABASE_URI"], bool(app.config["DATABASE_PREPARED_STATEMENTS"])),
    )


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str, prepared_statements: bool = True) -> dict[str, Any]:

    # JSON columns (evidence, audit changes, feed payloads) encoded and decoded by orjson.
    json = {"json_serializer": jsontext.dumps, "json_deserializer": jsontext.loads}
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}, **json}
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10, **json}
    if not prepared_statements:  # PgBouncer without prepared-statement support (deploy/pgbouncer.md)
        options["connect_args"] = {"prepare_threshold": None}
    return options


def _instance_secret(instance: Path) -> str:
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        os.chmod(path, 0o600)
    return path.read_text().strip()


#: What each setting means and, where the default needs words, what it is: the README's table.
SETTINGS_DOC: dict[str, tuple[str, str | None]] = {
    "DATABASE_URL": (
        "SQLAlchemy URL (`postgresql+psycopg://user@host/db` in production)",
        "SQLite file in the instance folder",
    ),
    "MAINTENANCE_DATABASE_URL": (
        "URL of the maintenance role that owns the tables (PostgreSQL): `db upgrade`, partitions and "
        "`retention run` connect as it, while the service's own role owns nothing (deploy/roles.md)",
        "unset: the same connection as `VE_DATABASE_URL`",
    ),
    "SECRET_KEY": ("session signing key", "random, kept in `instance/secret_key`"),
    "INSTANCE_PATH": ("instance folder (database, evidence, keys, the embedded queue)", "`./instance`"),
    "EVIDENCE_PATH": ("evidence photo store", "`instance/evidence`"),
    "ENV": ("`production` makes the session cookie `Secure`", None),
    "BROKER_URL": (
        "Celery broker; unset = jobs go on the embedded queue (huey, SQLite file), Redis never contacted; "
        "`/readyz` checks it when set",
        "unset",
    ),
    "RESULT_BACKEND": ("Celery result backend", "the broker"),
    "TASK_QUEUE_PATH": ("the embedded queue's SQLite file (only without a broker)", "`instance/tasks.sqlite3`"),
    "JOB_STALE_SECONDS": (
        "a background job still queued, or running without progress, this long is queued again by the sweep "
        "(every minute)",
        None,
    ),
    "MAX_CONTENT_LENGTH": (
        "largest request body in bytes (`413` with the JSON error shape); nginx's `client_max_body_size` in "
        "`deploy/nginx/` is the same",
        "33554432 (32 MiB)",
    ),
    "RULES_FILE": ("a JSON file replacing the shipped remote-sensing rules and limits", "the shipped rules"),
    "PLATE_CONFIDENCE_THRESHOLD": (
        "plate-read confidence a device reports with a pass below which the read is doubtful",
        None,
    ),
    "PLATE_READER_CONFIDENCE_THRESHOLD": (
        "confidence of our plate reader below which its read is doubtful (kept, the pass left pending for "
        "match review; `doubtful` in `POST /api/v1/plates/read`)",
        "calibrated 0.46 (`plates/README.md`)",
    ),
    "PLATE_IMAGE_MAX_BYTES": (
        "largest photo accepted for plate reading (`POST /api/v1/plates/read`, roadside-test page)",
        "8388608 (8 MiB)",
    ),
    "PLATE_IMAGE_MAX_PIXELS": ("largest declared width × height of a photo, checked before decoding", None),
    "HOTLIST_MISS_RETENTION_DAYS": ("looked-up plates that were not hits are purged after this many days", None),
    "RETENTION_DAYS": (
        "JSON object of days a month partition is kept after its month ended, per table, e.g. "
        '`{"export_records": 60}` (PostgreSQL; `retention run` archives then drops it; the audit log is '
        "archived and detached, never dropped, and kept at least 183 days)",
        "passes, hotlist lookups, audit log 1,827 (5 years); acknowledged outbox records 90",
    ),
    "ARCHIVE_PATH": (
        "where `retention run` writes a gzip'd CSV, its SHA-256 and a manifest per partition",
        "`instance/archive`",
    ),
    "TRANSMISSION_RATE_THRESHOLD": ("export transmission rate below which the alarm shows", None),
    "STATION_SILENT_MINUTES": (
        "an automatic station silent this long inside its operating hours shows in the environment inbox",
        None,
    ),
    "STATION_OPERATING_HOURS": ("stations' operating hours, Beijing time, `[start, end)` as JSON", "`[7, 19]`"),
    "EXPORT_TARGETS": (
        'platforms to export to, JSON: `{"provincial": {"url": ..., "token": ..., "batch_size": 500, "timeout": 10, '
        '"format": 1}}`; `"format": 2` sends and writes the platform’s Chinese fields (docs/export-protocol.md)',
        "none",
    ),
    "EXPORT_BACKOFF_BASE": (
        "retry delay of a failed export, seconds: a random delay up to base × 2^(attempts−1), capped",
        None,
    ),
    "EXPORT_BACKOFF_MAX": ("cap of the export retry delay, seconds", None),
    "EXPORT_MAX_ATTEMPTS": ("attempts before an export record is marked failed", None),
    "EXPORT_LEASE_SECONDS": ("how long a sender holds the records it claimed before another may take them", None),
    "REGION_CODE": (
        "administrative division code of the deployment, the city (the `county` of a city-level caller's log "
        "line; a county's caller logs its county's code)",
        "140500 (晋城市)",
    ),
    "COUNTY_CODE": (
        "read once, by the migration that makes counties data (`db upgrade` to `29ten_counties`): the county "
        "(e.g. 140525 泽州县) every existing township, station, account, token, site, plan and case is "
        "assigned to; the migration refuses to run without it when the database holds data. A fresh "
        "database starts with this county, or with 泽州县 (whose townships the first migration seeds)",
        "unset",
    ),
    "COUNTY_NAME": (
        "name of `VE_COUNTY_CODE`'s county when it is not one of Jincheng's six (the migration knows those)",
        "unset",
    ),
    "REPORTING_UNIT": (
        "the reporting unit (填报单位) named on the city level's XLSX and PDF reports (the city's environment "
        "bureau); a county's reports name its branch: this name + the county's short name + 分局 "
        "(晋城市生态环境局泽州分局)",
        None,
    ),
    "REPORTING_UNITS": (
        'JSON `{"<county code>": "<unit>"}`: a county\'s reporting unit when it is not the derived branch name',
        "none",
    ),
    "LOG_LEVEL": ("level of the service's logs", None),
    "LOG_FORMAT": (
        "`json`: one JSON object a line with the request id (and one line per request: method, route, "
        "status, duration, principal, county); `text` for development",
        None,
    ),
    "METRICS_TOKEN": (
        "unset: `/metrics` answers callers on this host only; set: it answers `Authorization: Bearer <token>` only",
        "unset",
    ),
    "DATABASE_PREPARED_STATEMENTS": (
        "`false` turns psycopg's prepared statements off, for PgBouncer before 1.21 in transaction mode "
        "(`deploy/pgbouncer.md`)",
        None,
    ),
    "SESSION_COOKIE_HTTPONLY": ("session cookie unreadable to scripts", None),
    "SESSION_COOKIE_SAMESITE": ("session cookie's SameSite", None),
    "SESSION_COOKIE_SECURE": (
        "unset: `Secure` when `VE_ENV=production` or the request came over HTTPS; `true`/`false` forces it",
        "unset",
    ),
    "SESSION_IDLE_TIMEOUT": ("seconds without a request before a page session ends", None),
    "SESSION_MAX_LIFETIME": ("seconds after login when a page session ends regardless", None),
    "RATELIMIT_STORAGE_URL": (
        "where the login limit counts (`redis://127.0.0.1:6379/1` in production; `memory://` counts per worker)",
        None,
    ),
    "LOGIN_FAILURE_LIMIT": ("failed logins per client address before `429`", None),
    "PROXY_COUNT": (
        "reverse proxies in front of the app whose `X-Forwarded-For`/`-Proto`/`-Host` are believed "
        "(1 behind the nginx of `deploy/`)",
        None,
    ),
    "WTF_CSRF_TIME_LIMIT": ("lifetime of a form's CSRF token, seconds", "the page session's"),
    "JSON_SORT_KEYS": ("sort keys of JSON answers", None),
    "PUBLIC_URL": (
        "the address the public reaches this service at: printed notices' QR codes and verification codes "
        "open `<PUBLIC_URL>/verify/<code>`",
        None,
    ),
    "DOCUMENT_UNITS": (
        "issuing units of notices, JSON keyed by `<county code>:<department>` (a county's unit) or "
        '`<department>` (the city level\'s): `{"140525:environment": {"name": ..., "abbr": "泽环"}}`, '
        "merged over the defaults (`documents/numbering.py`: a county's units follow from its name)",
        "from the county's name",
    ),
    "DOCUMENT_NUMBER_TEMPLATES": (
        "number template per unit (or per department, for every county) and notice kind, JSON "
        '`{"environment": {"turn_back": "{abbr}{word}〔{year}〕{seq}号"}}`; '
        "fields `{abbr}` `{word}` `{year}` `{seq}` (not zero-padded), `{seq}` required",
        "`{abbr}{word}〔{year}〕{seq}号`",
    ),
    "VERIFY_RATE_LIMIT": ("requests per client address to the public `/verify/<code>` page before `429`", None),
}


def _default_text(name: str) -> str:
    explained = SETTINGS_DOC[name][1]
    if explained is not None:
        return explained
    value = DEFAULTS[name]
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, str):
        return f"`{value}`"
    return str(value)


def settings_table() -> str:
    """The README's table of every `VE_*` setting, from DEFAULTS and SETTINGS_DOC."""
    missing = sorted(set(DEFAULTS) - set(SETTINGS_DOC))
    extra = sorted(set(SETTINGS_DOC) - set(DEFAULTS))
    if missing or extra:
        raise ValueError(f"SETTINGS_DOC and DEFAULTS differ: undescribed {missing}, not settings {extra}")
    lines = ["| variable | meaning | default |", "|---|---|---|"]
    for name in SETTINGS_DOC:
        meaning = SETTINGS_DOC[name][0].replace("|", "\\|")
        lines.append(f"| `VE_{name}` | {meaning} | {_default_text(name)} |")
    return "\n".join(lines) + "\n"


TABLE_START = (
    "<!-- settings table: generated from vehicle_enforce/config.py by `python -m tools.settings_table --write` -->"
)
TABLE_END = "<!-- end of settings table -->"


def with_settings_table(readme: str) -> str:
    """`readme` with the text between the table markers replaced by `settings_table()`."""
    head, start, rest = readme.partition(TABLE_START)
    _old, end, tail = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError("the README has no settings-table markers")
    return f"{head}{TABLE_START}\n{settings_table()}{TABLE_END}{tail}"
