"""Environment page for the provincial export: transmission rate, failed and rejected records, resend, run now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core import jobs, tasks
from vehicle_enforce.core.forms import parse_form, refused_redraws
from vehicle_enforce.core.timeutil import format_local, local_day, now_utc
from vehicle_enforce.exports import services
from vehicle_enforce.exports.models import ExportRecord
from vehicle_enforce.exports.schemas import ResendIn
from vehicle_enforce.extensions import db

bp = Blueprint("export_pages", __name__, url_prefix="/ops/exports")
FIELD_LABELS = {"note": "处理说明", "status": "状态"}


def _county() -> int | None:
    """The county whose transmission a county's officer sees (None: the city level, every county)."""
    principal = current_principal()
    return scope.allowed_county(principal) if principal is not None else None


@bp.get("/")
@page_access(D.environment)
def export_status() -> Any:
    today = local_day(now_utc())
    problems = db.session.scalars(
        select(ExportRecord).where(ExportRecord.status.in_(["rejected", "failed"])).order_by(ExportRecord.id).limit(50)
    ).all()
    job = jobs.latest("exports.run")
    return render_template(
        "exports/status.html",
        status=services.status(today - timedelta(days=6), today, county_id=_county()),
        problems=[services.record_json(r) for r in problems],
        job=job,
        job_status=jobs.STATUS_ZH.get(job.status, job.status) if job else None,
        job_at=format_local(job.updated_at, "%Y-%m-%d %H:%M:%S") if job else None,
        since=(today - timedelta(days=6)).isoformat(),
        until=today.isoformat(),
        last_month=(today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
    )


@bp.post("/<int:record_id>/resend")
@page_access(D.environment)
@refused_redraws(export_status, "未重新上报", FIELD_LABELS)
def resend(record_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    services.resend(record_id, _resend_form(), actor=principal)
    flash(f"记录 {record_id} 已重新排队上报", "info")
    return redirect(url_for("export_pages.export_status"))


@bp.post("/resend-failed")
@page_access(D.environment)
@refused_redraws(export_status, "未重新排队", FIELD_LABELS)
def resend_failed() -> Any:
    principal = current_principal()
    assert principal is not None
    records = services.resend_failed(_resend_form(), actor=principal)
    flash(f"已将 {len(records)} 条上报失败的记录重新排队", "info")
    return redirect(url_for("export_pages.export_status"))


@bp.post("/run")
@page_access(D.environment)
@refused_redraws(export_status, "未启动上报")
def run_now() -> Any:
    # The same task Celery beat runs every minute; without a broker it runs here, after the commit.
    tasks.run_later("exports.run")
    flash("已启动一次上报，结果见下表（如未更新请稍后刷新）", "info")
    return redirect(url_for("export_pages.export_status"))


def _resend_form() -> ResendIn:
    """The note of a resend form, validated by the API's own schema (an empty note is none)."""
    return parse_form(ResendIn, {"note": request.form.get("note", "").strip() or None}, FIELD_LABELS)
