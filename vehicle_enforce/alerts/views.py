"""Heavy-pollution alert page: alerts in force and recent, the measures per level, and (environment) issue/lift.

Everyone logged in may read it (the API's `alerts/active` is open to every department too); issuing,
extending, upgrading and lifting are the environment department's, through `alerts.services`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from vehicle_enforce.alerts import services
from vehicle_enforce.alerts.models import Alert
from vehicle_enforce.alerts.schemas import AlertAction, AlertIn
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.models import Township
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.forms import field_refused, parse_form, refused_redraws
from vehicle_enforce.core.timeutil import format_local, from_local_input, now_utc
from vehicle_enforce.extensions import db

bp = Blueprint("alert_pages", __name__, url_prefix="/ops/alerts")
ACTION_DONE = {"lift": "已解除预警", "extend": "已延长预警", "upgrade": "已升级预警"}

#: The page's names for the fields the schema may refuse.
FIELD_LABELS = {
    "level": "预警级别",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "townships": "乡镇",
    "action": "操作",
    "notice_no": "通告文号",
}


@bp.get("/")
@page_access()
def alerts() -> Any:
    principal = current_principal()
    now = now_utc()
    in_force = services.in_force(now)
    recent = db.session.scalars(select(Alert).order_by(Alert.id.desc()).limit(50)).all()
    townships = db.session.scalars(select(Township).where(Township.active.is_(True)).order_by(Township.id)).all()
    names = {t.id: t.name for t in townships}
    return render_template(
        "alerts/alerts.html",
        in_force=[_row(a, names, now, in_force) for a in in_force],
        recent=[_row(a, names, now, in_force) for a in recent],
        measures=services.measures(),
        strictest=max(in_force, key=lambda a: services.LEVELS.index(a.level)).level if in_force else None,
        levels=services.LEVELS,
        townships=townships,
        can_act=principal is not None and principal.department in (D.environment, D.admin),
        default_start=format_local(now, "%Y-%m-%dT%H:%M"),
    )


@bp.post("/")
@page_access(D.environment)
@refused_redraws(alerts, "预警未发布", FIELD_LABELS)
def issue() -> Any:
    principal = current_principal()
    assert principal is not None
    form = request.form
    data = parse_form(
        AlertIn,
        {
            "level": form.get("level", ""),
            "starts_at": _local_time(form.get("starts_at"), "starts_at"),
            "ends_at": _local_time(form.get("ends_at"), "ends_at"),
            "townships": form.getlist("townships") or None,
            "notice_no": (form.get("notice_no") or "").strip() or None,
        },
        FIELD_LABELS,
    )
    alert = services.issue(data, actor=principal)
    flash(f"已发布{services.LEVEL_ZH[alert.level]}预警（编号 {alert.id}）", "info")
    return redirect(url_for("alert_pages.alerts"))


@bp.post("/<int:alert_id>/actions")
@page_access(D.environment)
@refused_redraws(alerts, "操作未完成", FIELD_LABELS)
def act(alert_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    form = request.form
    ends_at = _local_time(form.get("ends_at"), "ends_at") if form.get("ends_at") else None
    data = parse_form(
        AlertAction,
        {"action": form.get("action", ""), "level": form.get("level") or None, "ends_at": ends_at},
        FIELD_LABELS,
    )
    services.act(alert_id, data, actor=principal)
    flash(f"{ACTION_DONE.get(data.action, '已处理')}（编号 {alert_id}）", "info")
    return redirect(url_for("alert_pages.alerts"))


def _local_time(value: str | None, field: str) -> datetime:
    """A `datetime-local` form value, read as Asia/Shanghai wall-clock time."""
    try:
        return from_local_input(value or "")
    except ValueError:
        raise field_refused(field, f"请填写{FIELD_LABELS[field]}", FIELD_LABELS[field]) from None


def _row(a: Alert, names: dict[int, str], now: datetime, in_force: list[Alert]) -> dict[str, Any]:
    if a in in_force:
        state = "生效中"
    elif a.lifted_at is not None:
        state = "已解除"
    else:
        state = "未开始" if a.starts_at > now else "已结束"
    return {
        **services.alert_json(a),
        "state": state,
        "area": "全县" if a.townships is None else "、".join(names.get(t, str(t)) for t in a.townships),
        "starts": format_local(a.starts_at, "%Y-%m-%d %H:%M"),
        "ends": format_local(a.ends_at, "%Y-%m-%d %H:%M"),
    }
