"""vehicle-enforce: emission enforcement for diesel trucks and non-road machinery."""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Flask, Response, g, request

from vehicle_enforce import config


def create_app(config_override: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, then each domain's blueprints in order."""
    from vehicle_enforce.core import transaction

    # Its requests are one transaction each, committed or rolled back by the answer (core/transaction.py).
    app = transaction.Flask(__name__, instance_relative_config=True, instance_path=_instance_path(config_override))
    from vehicle_enforce.core.jsontext import JSONProvider

    app.json = JSONProvider(app)
    config.load(app, config_override)
    from vehicle_enforce.core import logs

    logs.init_app(app)  # JSON lines (VE_LOG_FORMAT=text for development), each with the request id

    @app.before_request
    def _start_clock() -> None:  # first of the hooks, so every answered request has its duration
        g.started = time.perf_counter()

    from vehicle_enforce import models_registry  # noqa: F401  (every model is mapped before use)
    from vehicle_enforce.core import audit, bulk, errors, inputs, metrics, security, sqlite, tasks
    from vehicle_enforce.core import db as core_db
    from vehicle_enforce.extensions import csrf, db, limiter

    metrics.init_app(app)  # /metrics: requests, passes, listings, hotlist; gauges read when scraped
    db.init_app(app)
    sqlite.init_app(app)  # SQLite pragmas on every new connection
    core_db.init_app(app)  # UTC columns hold UTC from assignment: answers are built before the commit
    audit.init_app(app)  # the audit log refuses edits
    bulk.init_app(app)  # ids reserved for many new rows (PostgreSQL)
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    inputs.init_app(app)  # before the blueprints: their <int:...> ids use its bounded converter
    _register_blueprints(app)
    _init_domains(app)
    tasks.init_app(app)  # after the domains: every background task is registered by then

    from vehicle_enforce import labels
    from vehicle_enforce.auth.pages import person
    from vehicle_enforce.auth.principal import current_principal
    from vehicle_enforce.core.timeutil import format_local
    from vehicle_enforce.inspections.models import limit_set_zh
    from vehicle_enforce.vehicles.models import emission_standard_zh

    app.jinja_env.globals["current_principal"] = current_principal
    app.jinja_env.filters["local"] = format_local
    app.jinja_env.filters["person"] = person
    app.jinja_env.filters["label"] = labels.label
    app.jinja_env.filters["audit_action"] = labels.audit_action_label
    app.jinja_env.filters["standard"] = emission_standard_zh
    app.jinja_env.filters["limit_set"] = limit_set_zh
    app.jinja_env.filters["without_cursor"] = lambda args: {k: v for k, v in args.items() if k != "cursor"}
    app.jinja_env.filters["with_cursor"] = lambda args, cursor: {**args, "cursor": cursor}

    @app.after_request
    def _request_id(response: Response) -> Response:
        from vehicle_enforce.core import requestid

        rid = requestid.current()
        if rid:
            response.headers["X-Request-ID"] = rid
        if "started" in g:
            seconds = time.perf_counter() - g.started
            # W3C Server-Timing: the time the app spent on the request, as clients and proxies see it
            # (database included; the web server's own parsing and the network are not).
            response.headers["Server-Timing"] = f"app;dur={seconds * 1000:.1f}"
            logs.request_line(response.status_code, seconds * 1000)
            metrics.observe_request(logs.route(), request.method, response.status_code, seconds)
        return response

    @app.teardown_request
    def _forget_principal(_exc: BaseException | None) -> None:
        g.pop("principal", None)

    return app


def _init_domains(app: Flask) -> None:
    """Each domain connects its signal receivers, tasks and session hooks (vehicle_enforce/signals.py).

    Receivers run in the order connected here: on new verdicts the listing rule (blacklist) runs before
    phase-out's seen-again check; on stored records the export outbox queues before the change feed.
    Connecting is idempotent, so building the app twice connects nothing twice.
    """
    from vehicle_enforce.alerts import wiring as alerts_wiring
    from vehicle_enforce.blacklist import wiring as blacklist_wiring
    from vehicle_enforce.cases import wiring as cases_wiring
    from vehicle_enforce.documents import wiring as documents_wiring
    from vehicle_enforce.exports import wiring as exports_wiring
    from vehicle_enforce.inspections import wiring as inspections_wiring
    from vehicle_enforce.phaseout import wiring as phaseout_wiring
    from vehicle_enforce.reviews import wiring as reviews_wiring
    from vehicle_enforce.vehicles import wiring as vehicles_wiring

    for domain in (
        vehicles_wiring,
        inspections_wiring,
        exports_wiring,
        blacklist_wiring,
        cases_wiring,
        phaseout_wiring,
        reviews_wiring,
        alerts_wiring,
        documents_wiring,
    ):
        domain.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from vehicle_enforce.alerts import api as alerts_api
    from vehicle_enforce.auth import api as auth_api
    from vehicle_enforce.auth import views as auth_views
    from vehicle_enforce.blacklist import api as blacklist_api
    from vehicle_enforce.cases import api as cases_api
    from vehicle_enforce.core import views as core_views
    from vehicle_enforce.documents import api as documents_api
    from vehicle_enforce.enforcement import api as enforcement_api
    from vehicle_enforce.exports import api as exports_api
    from vehicle_enforce.extensions import csrf
    from vehicle_enforce.inspections import api as inspections_api
    from vehicle_enforce.nrmm import api as nrmm_api
    from vehicle_enforce.phaseout import api as phaseout_api
    from vehicle_enforce.reviews import api as reviews_api
    from vehicle_enforce.summary import api as summary_api
    from vehicle_enforce.vehicles import api as vehicles_api

    # JSON APIs authenticate with bearer tokens, not cookies, so CSRF tokens do not apply to them.
    api_blueprints = (
        core_views.api,
        auth_api.bp,
        vehicles_api.bp,
        inspections_api.bp,
        phaseout_api.bp,
        blacklist_api.bp,
        cases_api.bp,
        enforcement_api.bp,
        exports_api.bp,
        nrmm_api.bp,
        alerts_api.bp,
        reviews_api.bp,
        summary_api.bp,
        documents_api.bp,
    )
    for bp in api_blueprints:
        csrf.exempt(bp)
        app.register_blueprint(bp)
    app.register_blueprint(core_views.pages)
    app.register_blueprint(core_views.ops)  # /readyz, /metrics
    app.register_blueprint(auth_views.bp)
    from vehicle_enforce.alerts import views as alert_views
    from vehicle_enforce.blacklist import views as blacklist_views
    from vehicle_enforce.cases import views as case_views
    from vehicle_enforce.enforcement import views as enforcement_views
    from vehicle_enforce.exports import views as export_views
    from vehicle_enforce.inspections import rule_views
    from vehicle_enforce.inspections import views as inspection_views
    from vehicle_enforce.nrmm import views as nrmm_views
    from vehicle_enforce.phaseout import views as phaseout_views
    from vehicle_enforce.vehicles import views as vehicle_views

    for bp in (enforcement_views.bp, blacklist_views.bp, case_views.bp, inspection_views.bp, phaseout_views.bp):
        app.register_blueprint(bp)
    for bp in (nrmm_views.bp, export_views.bp, rule_views.bp, alert_views.bp, vehicle_views.bp):
        app.register_blueprint(bp)
    from vehicle_enforce.reviews import evidence_views
    from vehicle_enforce.reviews import views as review_views

    app.register_blueprint(review_views.bp)
    app.register_blueprint(evidence_views.bp)  # evidence photos on the pages, per record the viewer sees
    from vehicle_enforce.documents import views as document_views

    app.register_blueprint(document_views.bp)  # the public check of a notice's code
    from vehicle_enforce.auth import admin_views

    app.register_blueprint(admin_views.bp)  # /ops/admin: accounts, tokens, the audit log
    from vehicle_enforce.dashboards import views as dashboard_views

    app.register_blueprint(dashboard_views.bp)  # the notices inbox (the home page's cards are auth.views')


def _instance_path(override: dict[str, Any] | None) -> str | None:

    if override and override.get("INSTANCE_PATH"):
        return str(override["INSTANCE_PATH"])
    return os.environ.get("VE_INSTANCE_PATH") or None
