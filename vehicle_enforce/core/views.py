"""Health check, the OpenAPI document and its docs page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from sqlalchemy import text

from vehicle_enforce.auth.principal import PUBLIC, api_access
from vehicle_enforce.core.openapi import build_spec, doc
from vehicle_enforce.extensions import db

api = Blueprint("core", __name__)
pages = Blueprint("docs", __name__, template_folder="../templates")


@api.get("/healthz")
@api_access(PUBLIC)
@doc("Health check: the service and its database answer", tags=["system"])
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means unhealthy
        current_app.logger.warning("health check failed: %s", exc)
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})


@api.get("/api/v1/openapi.json")
@api_access(PUBLIC)
@doc("This OpenAPI document", tags=["system"])
def openapi_json() -> Any:
    spec = current_app.extensions.get("ve_openapi")
    if spec is None:
        spec = current_app.extensions["ve_openapi"] = build_spec(current_app)
    return jsonify(spec)


@pages.get("/api/docs")
def api_docs() -> str:
    spec = current_app.extensions.get("ve_openapi") or build_spec(current_app)
    return render_template("api_docs.html", spec=spec)
