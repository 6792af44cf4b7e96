"""Environment pages for non-road machinery: the registry and this month's sampling plan."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm import services
from vehicle_enforce.nrmm.models import Machine, SamplingPlan

bp = Blueprint("nrmm_pages", __name__, url_prefix="/ops/nrmm")


@bp.get("/")
@page_access(D.environment, D.housing)
def registry() -> Any:
    after = request.args.get("after", type=int) or 0
    rows = db.session.scalars(select(Machine).where(Machine.id > after).order_by(Machine.id).limit(101)).all()
    machines = [services.machine_json(m) for m in rows[:100]]
    next_after = rows[99].id if len(rows) > 100 else None
    month = local_day(now_utc()).strftime("%Y-%m")
    plan = db.session.scalar(select(SamplingPlan).where(SamplingPlan.month == month))
    return render_template(
        "nrmm/registry.html",
        machines=machines,
        next_after=next_after,
        month=month,
        plan=services.plan_json(plan, items=True) if plan else None,
    )
