"""Environment page for the provincial export: transmission rate, failed and rejected records, resend, run now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core import jobs, listing, tasks
from vehicle_enforce.core.forms import parse_form, refused_redraws
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.core.timeutil import format_local, local_day, now_utc
from vehicle_enforce.exports import services
from vehicle_enforce.exports.models import EXPORT_KIND_ZH, EXPORT_STATUS_ZH, EXPORT_TARGET_ZH, ExportRecord
from vehicle_enforce.exports.schemas import ResendIn

bp = Blueprint("export_pages", __name__, url_prefix="/ops/exports")
FIELD_LABELS = {"note": "处理说明", "status": "状态"}


def _county() -> int | None:
    """The county whose transmission a county's officer sees (None: the city level, every county)."""
    principal = current_principal()
    return scope.allowed_county(principal) if principal is not None else None


#: The records list's status filter: the two that need a person (the default), each status, or all.
RECORD_STATUS = {"problems": "上报失败或被拒收", **EXPORT_STATUS_ZH, "all": "全部"}


def _record_status(stmt: Select[Any], status: str) -> Select[Any]:
    if status == "all":
        return stmt
    wanted = ["failed", "rejected"] if status == "problems" else [status]
    return stmt.where(ExportRecord.status.in_(wanted))


def _record_row(r: ExportRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "target": r.target,
        "kind": r.kind,
        "object_id": r.object_id,
        "station": r.station,
        "occurred_at": r.occurred_at,
        "due_day": r.due_day,
        "status": r.status,
        "attempts": r.attempts,
        "last_error": r.last_error,
        "sent_at": r.sent_at,
        "acknowledged_at": r.acknowledged_at,
    }


RECORDS = listing.ListSpec(
    name="export_records",
    title="数据上报记录",
    id_column=ExportRecord.id,
    filters=(
        listing.Filter("status", "状态", _record_status, "choice", RECORD_STATUS, default="problems"),
        listing.Filter("kind", "数据类型", listing.equals(ExportRecord.kind), "choice", EXPORT_KIND_ZH),
        listing.Filter("target", "平台", listing.equals(ExportRecord.target), "choice", EXPORT_TARGET_ZH),
        listing.Filter("station", "站点编号", listing.equals(ExportRecord.station), max_length=32),
        listing.Filter("since", "起始日期", listing.since(ExportRecord.occurred_at), "date"),
        listing.Filter("until", "截止日期", listing.until(ExportRecord.occurred_at), "date"),
    ),
    sorts=(
        listing.Sort("id", "编号", ExportRecord.id, "int"),
        listing.Sort("occurred_at", "发生时间", ExportRecord.occurred_at),
    ),
    default_sort="id",
    columns=(
        Column("id", "编号", "int"),
        Column("target", "平台", labels=EXPORT_TARGET_ZH),
        Column("kind", "数据类型", labels=EXPORT_KIND_ZH),
        Column("object_id", "记录编号"),
        Column("station", "站点编号"),
        Column("occurred_at", "发生时间", "datetime"),
        Column("due_day", "应报日期", "date"),
        Column("status", "状态", labels=EXPORT_STATUS_ZH),
        Column("attempts", "重试次数", "int"),
        Column("last_error", "平台返回的原因", width=40),
        Column("sent_at", "发送时间", "datetime"),
        Column("acknowledged_at", "确认时间", "datetime"),
    ),
    export_row=_record_row,
)


@bp.get("/")
@page_access(D.environment)
def export_status() -> Any:
    """The transmission rate and the export records (failed or rejected by default: ?status=), with
    search, sort, paging and export; the records are the city's (what every station sends)."""
    principal = current_principal()
    assert principal is not None
    return listing.respond(RECORDS, select(ExportRecord), principal, _status_page)


def _status_page(state: listing.ListState) -> str:
    today = local_day(now_utc())
    job = jobs.latest("exports.run")
    return render_template(
        "exports/status.html",
        state=state,
        status=services.status(today - timedelta(days=6), today, county_id=_county()),
        problems=[services.record_json(r) for r in state.rows],
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
