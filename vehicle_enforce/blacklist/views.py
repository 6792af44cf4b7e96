"""Environment page: the blacklist (active and released entries)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.blacklist import services
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.extensions import db

bp = Blueprint("blacklist_pages", __name__, url_prefix="/ops/blacklist")


@bp.get("/")
@page_access(D.environment, D.police, D.transport)
def blacklist_page() -> Any:
    status = request.args.get("status", "active")
    stmt = select(BlacklistEntry).where(BlacklistEntry.status == status).order_by(BlacklistEntry.id.desc()).limit(200)
    entries = [services.entry_json(e) for e in db.session.scalars(stmt)]
    return render_template("environment/blacklist.html", entries=entries, status=status)
