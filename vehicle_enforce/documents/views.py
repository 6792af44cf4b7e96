"""Pages: the print buttons (a small form each: printing issues a numbered notice, so it is a POST with
the CSRF token, answered with the PDF), and the public check of a notice's verification code (no
login, Chinese, rate-limited)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, make_response, render_template

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.cases import views as case_views
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.forms import refused_redraws
from vehicle_enforce.documents import api, services
from vehicle_enforce.extensions import limiter
from vehicle_enforce.inspections import views as inspection_views
from vehicle_enforce.nrmm import views as nrmm_views

bp = Blueprint("documents_pages", __name__)


def _principal() -> Actor:
    principal = current_principal()
    assert principal is not None  # page_access admitted a person
    return principal


@bp.post("/ops/notices/roadside-tests/<int:test_id>")
@page_access(D.station, D.environment, D.police)
@refused_redraws(inspection_views.roadside_test, "劝返通知书未打印")
def print_turn_back(test_id: int) -> Any:
    return api.pdf_response(services.turn_back_notice(test_id, actor=_principal()))


@bp.post("/ops/notices/cases/<int:case_id>/<kind>")
@page_access(D.environment, D.police, D.transport)
@refused_redraws(case_views.detail, "通知书未打印")
def print_case_notice(case_id: int, kind: str) -> Any:
    return api.pdf_response(services.case_notice(case_id, kind, actor=_principal()))


@bp.post("/ops/notices/spot-checks/<int:check_id>")
@page_access(D.environment, D.housing)
@refused_redraws(nrmm_views.registry, "抽测记录单未打印")
def print_spot_check(check_id: int) -> Any:
    return api.pdf_response(services.spot_check_record(check_id, actor=_principal()))


def _too_many(_limit: Any) -> Response:
    return make_response((render_template("documents/verify.html", notice=None, code="", limited=True), 429))


@bp.get("/verify/<code>")
@limiter.limit(lambda: str(current_app.config["VERIFY_RATE_LIMIT"]), on_breach=_too_many)
def verify(code: str) -> Any:
    found = services.verify(code)
    page = render_template("documents/verify.html", notice=found, code=services.normalise_code(code)[:32])
    return page, 200 if found is not None else 404
