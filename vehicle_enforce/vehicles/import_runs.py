"""Vehicle imports started from a page: the upload is kept, imported as a background task, progress on disk.

Each run lives in `instance/imports/<run id>/`: the uploaded file, `progress.json` and the error
report. Progress is a small JSON file rather than a table because the import itself is one database
transaction (nothing is stored if the file is malformed), so rows written to the database from inside
it would not be visible to the page until the end, and on SQLite a second writer would wait for it.
The task runs `importer.import_vehicles` unchanged and passes it a progress callback.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from flask import current_app

from vehicle_enforce.core import imports, jobs, tasks, transaction
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.vehicles import importer

SUFFIXES = (".csv", ".xlsx")


def runs_dir() -> Path:
    return Path(current_app.instance_path) / "imports"


def run_dir(run_id: str) -> Path:
    if not run_id.isalnum():
        raise NotFound("no such import")
    return runs_dir() / run_id


def read_progress(run_id: str) -> dict[str, Any]:
    path = run_dir(run_id) / "progress.json"
    if not path.is_file():
        raise NotFound("no such import")
    progress: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return progress


def _write_progress(run_id: str, **changes: Any) -> dict[str, Any]:
    path = run_dir(run_id) / "progress.json"
    state = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    state.update(changes, updated_at=now_utc().isoformat())
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)  # readers never see a half-written file
    return state


def start(filename: str, data: bytes, *, actor: Actor) -> str:
    """Keep the upload, record it as queued and queue the import (it runs after the caller's commit)."""
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
    total = imports.count_rows(source)
    _write_progress(
        run_id,
        id=run_id,
        filename=Path(filename).name,
        status="queued",
        total=total,
        done=0,
        started_by=actor.name,
        created_at=now_utc().isoformat(),
    )
    tasks.run_later(
        "vehicles.import_upload",
        _total=total,
        run_id=run_id,
        user_id=actor.id,
        user_name=actor.name,
        department=actor.department,
    )
    return run_id


def import_upload(run_id: str, user_id: int | None, user_name: str, department: str | None) -> dict[str, Any]:
    """Run one uploaded import, writing rows done after every chunk; the task runner commits."""
    source = next(run_dir(run_id).glob("upload.*"))
    done = 0

    def progress(rows: int) -> None:
        nonlocal done
        done += rows
        state = _write_progress(run_id, done=done)
        jobs.progress(done, state.get("total"))

    _write_progress(run_id, status="running")
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
        _write_progress(run_id, status="refused", problem=exc.message, reason=next(iter(exc.fields.values()), None))
        return read_progress(run_id)
    except Exception as exc:
        _write_progress(run_id, status="failed", problem=type(exc).__name__)
        raise
    # Commit before telling the page the rows are in (the job runner's own commit would come after).
    transaction.checkpoint()
    result = report.as_dict()
    result["errors_path"] = bool(report.errors_path)
    return _write_progress(run_id, status="done", done=report.rows, total=report.rows, report=result)
