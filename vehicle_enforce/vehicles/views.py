"""Vehicle import page: upload the vehicle administration's export, then follow its progress."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, send_file, url_for

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.core.forms import refused_redraws
from vehicle_enforce.vehicles import import_runs

bp = Blueprint("vehicle_pages", __name__, url_prefix="/ops/vehicles")
IMPORTERS = (D.environment, D.transport)  # the departments that may add vehicles through the API


@bp.get("/import")
@page_access(*IMPORTERS)
def upload() -> Any:
    return render_template("vehicles/import.html")


@bp.post("/import")
@page_access(*IMPORTERS)
@refused_redraws(upload, "未开始导入", {"file": "数据文件"})
def start_import() -> Any:
    principal = current_principal()
    assert principal is not None
    file = request.files.get("file")
    filename, data = (file.filename or "", file.read()) if file else ("", b"")
    job_id = import_runs.start(filename, data, actor=principal)  # runs after the commit, on the job worker
    return redirect(url_for("vehicle_pages.import_status", job_id=job_id))


@bp.get("/import/<int:job_id>")
@page_access(*IMPORTERS)
def import_status(job_id: int) -> Any:
    try:
        run = import_runs.read(job_id)  # the job's row: status, rows done / total, outcome
    except NotFound:
        abort(404)
    return render_template("vehicles/import_status.html", run=run, progress_text=import_runs.progress_text(run))


@bp.get("/import/<int:job_id>/status")
@page_access(*IMPORTERS)
def import_progress(job_id: int) -> Any:
    """The import's progress as JSON, polled by the status page's script (`static/import_progress.js`)."""
    try:
        run = import_runs.read(job_id)
    except NotFound:
        abort(404)
    return jsonify(run.status_json())


@bp.get("/import/<int:job_id>/errors.csv")
@page_access(*IMPORTERS)
def import_errors(job_id: int) -> Any:
    try:
        path = import_runs.read(job_id).errors_csv
    except NotFound:
        abort(404)
    if path is None:
        abort(404)
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name=f"vehicle-import-{job_id}-errors.csv")
