"""Transport pages: the phase-out dashboard per township with the chart, the XLSX export, and each
township's remaining vehicles."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.models import Township
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.pagination import PageQuery, page
from vehicle_enforce.extensions import db
from vehicle_enforce.phaseout import charts, eligibility
from vehicle_enforce.phaseout import progress as phaseout_progress
from vehicle_enforce.phaseout.api import chart_response
from vehicle_enforce.phaseout.rules import current_rules
from vehicle_enforce.vehicles.models import Vehicle

bp = Blueprint("phaseout_pages", __name__, url_prefix="/ops/phaseout")

#: Remaining vehicles per page of a township's list.
PAGE_SIZE = 50


def _principal() -> Actor:
    principal = current_principal()
    assert principal is not None
    return principal


def _as_of() -> date:
    """The as-of date of the address (a Beijing calendar date), today's when absent or unreadable."""
    try:
        return date.fromisoformat(request.args.get("as_of") or "")
    except ValueError:
        return eligibility.today_local()


def _report(principal: Actor, as_of: date) -> dict[str, Any]:
    # A township account sees its township (none without one), a county's its county, the city all.
    return phaseout_progress.for_caller(as_of, principal)


@bp.get("/")
@page_access(D.transport, D.environment, D.township)
def dashboard() -> Any:
    as_of = _as_of()
    progress = _report(_principal(), as_of)
    behind = bool(request.args.get("behind"))  # ?behind=1: only the townships behind plan (home page card)
    if behind:
        progress["townships"] = phaseout_progress.behind_plan(progress["townships"])
    return render_template("transport/phaseout.html", progress=progress, as_of=as_of.isoformat(), behind=behind)


@bp.get("/chart.png")
@page_access(D.transport, D.environment, D.township)
def chart() -> Any:
    """The page's chart: the desktop grid, or one column for a phone (`layout=phone`), kept per inputs."""
    principal = _principal()
    layout = request.args.get("layout", "wide")
    drawn = charts.chart(
        _as_of(),
        "png",
        layout=layout if layout in charts.LAYOUT_COLUMNS else "wide",
        township_ids=scope.county_townships(principal),
        one_township=scope.allowed_townships(principal) is not None,
    )
    return chart_response(drawn)


@bp.get("/townships/<int:township_id>")
@page_access(D.transport, D.environment, D.township)
def township(township_id: int) -> Any:
    """A township's vehicles still to be phased out as of the date, 50 a page (keyset on id).

    Another county's or (for a township account) another township's answers 404 as a missing one."""
    principal = _principal()
    place = db.session.get(Township, township_id)
    allowed = scope.county_townships(principal)
    if place is None or (allowed is not None and township_id not in allowed):
        abort(404)
    as_of = _as_of()
    rules = current_rules()
    row = next((t for t in _report(principal, as_of)["townships"] if t["township_id"] == township_id), None)
    stmt = select(Vehicle).where(
        eligibility.eligible_clause(rules),
        eligibility.not_phased_out(as_of),
        Vehicle.township_id == township_id,
    )
    cursor = request.args.get("cursor") or None
    try:
        vehicles, next_cursor = page(stmt, Vehicle.id, PageQuery(limit=PAGE_SIZE, cursor=cursor))
    except Invalid:  # a hand-edited cursor: the first page
        vehicles, next_cursor = page(stmt, Vehicle.id, PageQuery(limit=PAGE_SIZE))
    reasons = {v.id: (eligibility.eligibility_of(v, rules) or {}) for v in vehicles}
    args = {"as_of": as_of.isoformat(), **({"cursor": cursor} if cursor else {})}
    return render_template(
        "transport/phaseout_township.html",
        place=place,
        row=row,
        vehicles=vehicles,
        reasons=reasons,
        next_cursor=next_cursor,
        args=args,
        as_of=as_of.isoformat(),
    )
