"""Vehicle imports started from a page: the upload is kept, imported as a background job, followed on its row.

The uploaded file and the error report live in `instance/imports/<run id>/`. How the import is going
lives where all background work reports it, the job's row (`core.jobs`): queued / running / done /
failed, rows done of the total (written per chunk on PostgreSQL; on SQLite, whose one writer the import
holds, when it ends), and the outcome (`result`: the counts, or why the file was refused). The page
reads that row and nothing else. The task runs `importer.import_vehicles` unchanged and passes it a
progress callback.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app

from vehicle_enforce.core import imports, jobs, tasks, transaction
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.vehicles import importer

SUFFIXES = (".csv", ".xlsx")
TASK = "vehicles.import_upload"
REFUSED = "refused"


def runs_dir() -> Path:
    return Path(current_app.instance_path) / "imports"


def run_dir(run_id: str) -> Path:
    if not run_id.isalnum():
        raise NotFound("no such import")
    return runs_dir() / run_id


@dataclass
class Run:
    """One uploaded import as its page shows it, read from its job's row."""

    job_id: int
    filename: str
    #: queued, running, done, refused (the file could not be imported as a whole) or failed
    status: str
    done: int
    total: int | None
    report: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    errors_csv: Path | None = None
    #: Seconds still to go, estimated from the pace so far (None until rows are done, or without a total).
    eta_seconds: int | None = None

    @property
    def running(self) -> bool:
        return self.status in (jobs.QUEUED, jobs.RUNNING)

    @property
    def percent(self) -> int | None:
        return min(100, int(100 * self.done / self.total)) if self.total else None

    def status_json(self) -> dict[str, Any]:
        """What the page's script polls (`static/import_progress.js`): rows done, total, time to go."""
        return {
            "status": self.status,
            "running": self.running,
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "eta_seconds": self.eta_seconds,
            "text": progress_text(self),
        }


def progress_text(run: Run) -> str:
    """The progress line in Chinese (the page's and the polled answer's: one wording)."""
    if run.status == jobs.QUEUED:
        return f"共 {run.total} 行，等待导入" if run.total else "等待导入"
    if run.total:
        text = f"已处理 {run.done} / {run.total} 行（{run.percent}%）"
    else:
        text = f"已处理 {run.done} 行" + ("（XLSX 文件无法预先计算总行数）" if run.running else "")
    if run.running and run.eta_seconds is not None:
        eta = run.eta_seconds
        text += f"，预计还需 {eta} 秒" if eta < 60 else f"，预计还需约 {round(eta / 60)} 分钟"
    elif run.running:
        text += "，正在估算剩余时间"
    return text


def eta(done: int, total: int | None, started_at: datetime | None, now: datetime | None = None) -> int | None:
    """Seconds to go at the pace so far (rows done since the job started), or None when unknown."""
    if not done or not total or started_at is None or done >= total:
        return None
    started = started_at if started_at.tzinfo is not None else started_at.replace(tzinfo=UTC)
    elapsed = ((now or now_utc()) - started).total_seconds()
    return max(1, round(elapsed * (total - done) / done))


def read(job_id: int) -> Run:
    """The import queued as job `job_id`; NotFound for any other job."""
    job = jobs.get(job_id, TASK)
    if job is None:
        raise NotFound("no such import")
    result = job.result or {}
    status = job.status
    if status == jobs.DONE and result.get("outcome") == REFUSED:
        status = REFUSED
    errors = run_dir(str(job.kwargs["run_id"])) / "errors.csv"
    done, total = jobs.rows_done(job)  # while running on SQLite: from the job's progress file
    return Run(
        job_id=job.id,
        filename=str(job.kwargs.get("filename") or ""),
        status=status,
        done=done,
        total=total,
        eta_seconds=eta(done, total, job.started_at) if status == jobs.RUNNING else None,
        report=dict(result.get("report") or {}),
        reason=result.get("reason"),
        errors_csv=errors if status == jobs.DONE and errors.is_file() else None,
    )


def start(filename: str, data: bytes, *, actor: Actor) -> int:
    """Keep the upload and queue its import as a job (it runs after the caller's commit); the job's id."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise Invalid("only CSV or XLSX files are imported", {"file": "csv or xlsx"})
    if not data:
        raise Invalid("the file is empty", {"file": "empty"})
    run_id = secrets.token_hex(8)
    folder = run_dir(run_id)
    folder.mkdir(parents=True)
    source = folder / f"upload{suffix}"
    source.write_bytes(data)
    return tasks.run_later(
        TASK,
        _total=imports.count_rows(source),
        run_id=run_id,
        filename=Path(filename).name,
        user_id=actor.id,
        user_name=actor.name,
        department=actor.department,
    )


def import_upload(
    run_id: str, user_id: int | None, user_name: str, department: str | None, filename: str = ""
) -> dict[str, Any]:
    """Run one uploaded import, reporting rows done after every chunk; the job runner commits."""
    source = next(run_dir(run_id).glob("upload.*"))
    total = imports.count_rows(source)
    done = 0

    def progress(rows: int) -> None:
        nonlocal done
        done += rows
        jobs.progress(done, total)

    try:
        report = importer.import_vehicles(
            source,
            errors_out=run_dir(run_id) / "errors.csv",
            progress=progress,
            chunk_rows=int(current_app.config.get("IMPORT_CHUNK_ROWS") or imports.CHUNK_ROWS),
            actor=Actor("user", user_id, user_name, department),
        )
    except imports.ImportRefused as exc:
        transaction.rollback()  # a malformed file imports nothing, not even the chunks before the fault
        result: dict[str, Any] = {
            "outcome": REFUSED,
            "problem": exc.message,
            "reason": next(iter(exc.fields.values()), None),
        }
        jobs.record_result(result)
        return result
    counts = {k: v for k, v in report.as_dict().items() if k != "errors_path"}  # the page links the file itself
    result = {"outcome": "done", "report": counts}
    # Committed with the vehicles, in the same transaction: the page never shows counts of rows not stored.
    jobs.record_result(result, done=report.rows, total=report.rows)
    return result
