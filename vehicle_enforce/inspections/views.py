"""Station and environment pages: enter a roadside test, passes with filters, black-smoke review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core import transaction
from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.core.labels import LABELS
from vehicle_enforce.core.timeutil import SHANGHAI, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import services
from vehicle_enforce.inspections.models import BlackSmokeCapture, RemoteSensingPass, Station

bp = Blueprint("inspection_pages", __name__, url_prefix="/ops/inspections")

METHODS = {"free_acceleration": "自由加速法", "ringelmann": "林格曼黑度法"}


@bp.route("/roadside-test", methods=["GET", "POST"])
@page_access(D.station, D.environment, D.police)
def roadside_test() -> Any:
    principal = current_principal()
    assert principal is not None
    stations = db.session.scalars(
        select(Station).where(Station.kind.in_(["roadside", "spot_check"])).order_by(Station.code)
    ).all()
    result = history = None
    form = {
        k: request.form.get(k, "").strip()
        for k in (
            "station",
            "plate",
            "plate_color",
            "method",
            "k1",
            "k2",
            "k3",
            "k4",
            "ringelmann",
            "report_number",
            "kind",
        )
    }
    if request.method == "POST":
        try:
            if form["method"] == "ringelmann":
                readings: dict[str, Any] = {"ringelmann": int(form["ringelmann"] or -1)}
            else:
                readings = {"k_readings": [float(form[k]) for k in ("k1", "k2", "k3", "k4") if form[k]]}
            data = services.TestIn(
                station=form["station"] or None,
                report_number=form["report_number"] or _report_number(),
                kind=form["kind"] or "roadside",
                method=form["method"],
                tested_at=now_utc(),
                plate=form["plate"],
                plate_color=form["plate_color"] or "yellow",
                readings=readings,
                owner_id=None,
                location=None,
                operator=principal.name,
                note=None,
            )
            test, _ = services.record_test(data, principal)
            transaction.commit()
            result = services.test_json(test)
            history = _history(test.vehicle_id)
        except (ServiceError, ValueError) as exc:
            db.session.rollback()
            message = getattr(exc, "fields", None) or str(exc)
            flash(f"检测记录未保存：{message}", "error")
    return render_template(
        "station/roadside_test.html",
        stations=stations,
        form=form,
        result=result,
        history=history,
        methods=METHODS,
        colors=LABELS["plate_color"],
    )


def _report_number() -> str:
    return "WEB-" + datetime.now(SHANGHAI).strftime("%Y%m%d%H%M%S%f")[:-3]


def _history(vehicle_id: int | None) -> dict[str, Any] | None:
    if vehicle_id is None:
        return None
    from vehicle_enforce.vehicles import services as vehicle_services

    return vehicle_services.vehicle_history(vehicle_id)


@bp.get("/passes")
@page_access(D.environment, D.police, D.transport)
def passes() -> Any:
    stmt = select(RemoteSensingPass).order_by(RemoteSensingPass.id.desc())
    plate = request.args.get("plate", "").strip()
    verdict = request.args.get("verdict", "")
    if plate:
        stmt = stmt.where(RemoteSensingPass.plate == plate)
    if verdict in ("pass", "exceed", "invalid"):
        stmt = stmt.where(RemoteSensingPass.verdict == verdict)
    before = request.args.get("before", type=int)
    if before:
        stmt = stmt.where(RemoteSensingPass.id < before)
    rows = db.session.scalars(stmt.limit(50)).all()
    return render_template(
        "environment/passes.html",
        rows=rows,
        plate=plate,
        verdict=verdict,
        next_before=rows[-1].id if len(rows) == 50 else None,
    )


@bp.route("/black-smoke", methods=["GET", "POST"])
@page_access(D.environment)
def black_smoke() -> Any:
    principal = current_principal()
    assert principal is not None
    if request.method == "POST":
        try:
            services.review_capture(
                int(request.form["capture_id"]), request.form["decision"], request.form.get("note") or None, principal
            )
            transaction.commit()
            flash("审核结果已保存", "info")
        except (ServiceError, KeyError, ValueError) as exc:
            db.session.rollback()
            flash(f"审核未保存：{exc}", "error")
        return redirect(url_for("inspection_pages.black_smoke"))
    pending = db.session.scalars(
        select(BlackSmokeCapture).where(BlackSmokeCapture.review_status == "pending").order_by(BlackSmokeCapture.id)
    ).all()
    return render_template("environment/black_smoke.html", pending=pending)
