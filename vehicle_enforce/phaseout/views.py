"""Transport pages: the phase-out dashboard per township with the chart and the XLSX export."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.phaseout import eligibility
from vehicle_enforce.phaseout import progress as phaseout_progress

bp = Blueprint("phaseout_pages", __name__, url_prefix="/ops/phaseout")


@bp.get("/")
@page_access(D.transport, D.environment, D.township)
def dashboard() -> Any:

    principal = current_principal()
    assert principal is not None
    as_of_text = request.args.get("as_of") or eligibility.today_local().isoformat()
    try:
        as_of = date.fromisoformat(as_of_text)
    except ValueError:
        as_of = eligibility.today_local()
    # A township account sees its township (none without one), a county's its county, the city all.
    progress = phaseout_progress.progress(
        as_of,
        township_ids=scope.county_townships(principal),
        one_township=scope.allowed_townships(principal) is not None,
    )
    return render_template("transport/phaseout.html", progress=progress, as_of=as_of.isoformat())
