"""Health and readiness checks, metrics, the OpenAPI document and its docs page (Swagger UI served from
the installed wheel)."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any, Literal

import swagger_ui_bundle
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, send_from_directory
from sqlalchemy import text

from vehicle_enforce.auth.principal import PUBLIC, api_access
from vehicle_enforce.core import metrics, migrate
from vehicle_enforce.core.errors import error_response
from vehicle_enforce.core.openapi import Out, build_spec, operation
from vehicle_enforce.extensions import db

api = Blueprint("core", __name__)
#: For operators and their tools (load balancer, Prometheus): not part of the API document.
ops = Blueprint("ops", __name__)


class HealthOut(Out):
    status: Literal["ok", "error"]
    database: Literal["ok", "unreachable"]


class OpenAPIDocument(Out):
    """The OpenAPI 3.1 document of this API (its own example shows one path of it)."""

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


#: The example of /api/v1/openapi.json: the document's frame and one of its paths.
OPENAPI_EXAMPLE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "vehicle-enforce API", "version": "1"},
    "paths": {
        "/healthz": {
            "get": {
                "summary": "健康检查：服务与数据库是否正常 / Health check: the service and its database answer",
                "operationId": "core.healthz.get",
                "tags": ["core"],
                "responses": {"200": {"description": "OK"}},
            }
        }
    },
    "components": {"schemas": {}},
}


pages = Blueprint("docs", __name__, template_folder="../templates")


@api.get("/healthz")
@api_access(PUBLIC)
@operation(
    "健康检查：服务与数据库是否正常 / Health check: the service and its database answer",
    resp={200: HealthOut, 503: HealthOut},
    examples={"response": {"status": "ok", "database": "ok"}},
)
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means unhealthy
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})


@ops.get("/readyz")
def readyz() -> Any:
    """Ready to serve: the database answers, its schema is at the migrations' head, and the broker (when
    one is configured) answers. 503 names what failed, for a load balancer and the operator."""
    checks: dict[str, str] = {}
    try:
        connection = db.session.connection()
        connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        current_app.logger.warning("readiness: database unreachable: %s", exc)
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown"
    else:
        try:
            at_head = migrate.database_heads(connection) == migrate.script_heads()
        except Exception as exc:  # no version table: never migrated
            current_app.logger.warning("readiness: migration state unreadable: %s", exc)
            at_head = False
        checks["migrations"] = "ok" if at_head else "not_at_head"
    checks["broker"] = _broker_state()
    failed = sorted(name for name, state in checks.items() if state not in ("ok", "not_configured"))
    if checks["database"] != "ok":
        failed.remove("migrations")  # not known to be wrong: the database did not answer
    body = {"status": "not_ready" if failed else "ready", "failed": failed, "checks": checks}
    return jsonify(body), 503 if failed else 200


def _broker_state() -> str:
    celery = current_app.extensions.get("celery")
    if celery is None:
        return "not_configured"  # the embedded queue (a SQLite file beside the instance)
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:
        current_app.logger.warning("readiness: broker unreachable: %s", exc)
        return "unreachable"
    return "ok"


@ops.get("/metrics")
def prometheus_metrics() -> Any:
    """Prometheus text format. With VE_METRICS_TOKEN set, for `Authorization: Bearer <token>` only;
    without it, for callers on this host only (the client address after VE_PROXY_COUNT's proxies)."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        offered = request.headers.get("Authorization", "")
        if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
            return error_response(401, "unauthorized", "需要有效的指标令牌（Authorization: Bearer）")
    elif not _loopback(request.remote_addr):
        return error_response(403, "forbidden", "指标仅限本机访问；跨主机采集请设置 VE_METRICS_TOKEN")
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


def _loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@api.get("/api/v1/openapi.json")
@api_access(PUBLIC)
@operation(
    "本 OpenAPI 文档 / This OpenAPI document",
    resp={200: OpenAPIDocument},
    examples={"response": OPENAPI_EXAMPLE},
)
def openapi_json() -> Any:
    spec = current_app.extensions.get("ve_openapi")
    if spec is None:
        spec = current_app.extensions["ve_openapi"] = build_spec(current_app)
    return jsonify(spec)


#: Swagger UI's files the docs page loads, from the `swagger-ui-bundle` wheel (no CDN).
DOCS_ASSETS = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"}
)


@pages.get("/api/docs")
def api_docs() -> str:
    spec = current_app.extensions.get("ve_openapi") or build_spec(current_app)
    return render_template("api_docs.html", spec=spec)


@pages.get("/api/docs/assets/<name>")
def api_docs_asset(name: str) -> Any:
    if name not in DOCS_ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, name, max_age=86400)
