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
from vehicle_enforce.core.jobs import Job
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.core.timeutil import format_local, local_day, now_utc
from vehicle_enforce.exports import services
from vehicle_enforce.exports.models import EXPORT_KIND_ZH, EXPORT_STATUS_ZH, EXPORT_TARGET_ZH, ExportRecord
from vehicle_enforce.exports.schemas import ResendIn
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import Station

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


def _with_station_name(stmt: Select[Any]) -> Select[Any]:
    return stmt.outerjoin(Station, Station.code == ExportRecord.station).add_columns(Station.name)


def _record_row(row: tuple[ExportRecord, str | None]) -> dict[str, Any]:
    r, station_name = row
    return {
        "id": r.id,
        "target": r.target,
        "kind": r.kind,
        "object_id": r.object_id,
        "station": r.station,
        "station_name": station_name,
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
        Column("station_name", "站点"),
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
    export_query=_with_station_name,
)


#: What the sender records when a delivery fails, as the page says it (a platform's own reason is shown
#: as the platform wrote it).
DELIVERY_ERRORS_ZH = (
    ("network:", "网络故障，未能连接上报平台（将自动重试）"),
    ("no acknowledgement for the record", "平台未确认该记录（将自动重试）"),
    ("rejected by the platform", "平台拒收，未说明原因"),
    ("no url configured", "未配置该平台的上报地址，记录留在队列中"),
)


def delivery_reason(text: str) -> tuple[str, bool]:
    """(the reason in Chinese, whether it is the platform's own words shown as written)."""
    for prefix, zh in DELIVERY_ERRORS_ZH:
        if text.startswith(prefix):
            return zh, False
    if text.startswith("HTTP "):
        code = text.split(":", 1)[0]
        if "unreadable acknowledgement" in text:
            return f"平台回执无法识别（{code}，将自动重试）", False
        return f"平台暂时不可用（{code}，将自动重试）", False
    return text, True


def run_outcome(job: Job | None) -> dict[str, Any] | None:
    """The outcome of a 立即上报 run for the page it redirects to: per platform, records sent, acknowledged,
    rejected, to retry and failed, with the reasons (None: no such run)."""
    if job is None:
        return None
    targets = []
    for t in (job.result or {}).get("targets", []):
        reasons = [(*delivery_reason(str(text)), int(n)) for text, n in (t.get("reasons") or {}).items()]
        reasons += [(*delivery_reason(str(text)), 0) for text in t.get("errors") or [] if not t.get("reasons")]
        targets.append({**t, "reasons": reasons, "not_done": int(t.get("rejected", 0)) + int(t.get("failed", 0))})
    return {
        "id": job.id,
        "status": job.status,
        "status_zh": jobs.STATUS_ZH.get(job.status, job.status),
        "finished": job.status in (jobs.DONE, jobs.FAILED),
        "at": format_local(job.finished_at or job.updated_at),
        "error": job.error,
        "targets": targets,
    }


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
    run_id = request.args.get("run", "")
    outcome = run_outcome(jobs.get(int(run_id), "exports.run")) if run_id.isdigit() and len(run_id) < 12 else None
    return render_template(
        "exports/status.html",
        state=state,
        status=services.status(today - timedelta(days=6), today, county_id=_county()),
        problems=[services.record_json(r) for r in state.rows],
        station_names=dict(db.session.execute(select(Station.code, Station.name)).all()),
        outcome=outcome,
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
    # The same task Celery beat runs every minute; the worker runs it after the commit. The page it
    # redirects to follows this run and shows its outcome (sent, acknowledged, rejected with reasons).
    run_id = tasks.run_later("exports.run")
    flash("已启动一次上报", "info")
    return redirect(url_for("export_pages.export_status", run=run_id, _anchor="export-outcome"))


def _resend_form() -> ResendIn:
    """The note of a resend form, validated by the API's own schema (an empty note is none)."""
    return parse_form(ResendIn, {"note": request.form.get("note", "").strip() or None}, FIELD_LABELS)
