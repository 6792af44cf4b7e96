"""Environment page for the provincial export: transmission rate per day, station and record type."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, render_template

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.exports import services

bp = Blueprint("export_pages", __name__, url_prefix="/ops/exports")


@bp.get("/")
@page_access(D.environment)
def export_status() -> Any:
    today = local_day(now_utc())
    return render_template("exports/status.html", status=services.status(today - timedelta(days=6), today))
