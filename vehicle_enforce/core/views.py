"""Health check, the OpenAPI document and its docs page (Swagger UI served from the installed wheel)."""

from __future__ import annotations

from typing import Any, Literal

import swagger_ui_bundle
from flask import Blueprint, abort, current_app, jsonify, render_template, send_from_directory
from sqlalchemy import text

from vehicle_enforce.auth.principal import PUBLIC, api_access
from vehicle_enforce.core.openapi import Out, build_spec, operation
from vehicle_enforce.extensions import db

api = Blueprint("core", __name__)


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
