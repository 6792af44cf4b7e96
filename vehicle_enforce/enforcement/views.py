"""Police pages: hotlist lookup and today's checkpoint hits."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.blacklist import answers
from vehicle_enforce.blacklist.models import HotlistLookup, HotlistRead
from vehicle_enforce.core.forms import FormInvalid, parse_form, refused_redraws
from vehicle_enforce.core.timeutil import SHANGHAI, local_day, now_utc
from vehicle_enforce.enforcement import hotlist
from vehicle_enforce.enforcement.schemas import BatchCheck
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH

bp = Blueprint("police_pages", __name__, url_prefix="/ops/police")
LABELS_ZH = {"plate": "号牌号码", "plate_color": "号牌颜色", "reason": "查询事由"}


@bp.get("/hotlist")
@page_access(D.police)
def hotlist_page() -> Any:
    return _hotlist_page(None)


@bp.post("/hotlist")
@page_access(D.police)
@refused_redraws(hotlist_page, "未查询", LABELS_ZH)
def check_plate() -> Any:
    """One lookup, recorded with its reason (the API's own schema for hotlist checks: colours, lengths)."""
    principal = current_principal()
    assert principal is not None
    form = _form()
    problems = {k: "必填" for k in ("plate", "reason") if not form[k]}
    if form["plate"] and (problem := hotlist.plate_problem(form["plate"])) is not None:
        problems["plate"] = problem
    if problems:
        raise FormInvalid(problems, LABELS_ZH)
    data = parse_form(
        BatchCheck,
        {"reads": [{"plate": form["plate"], "plate_color": form["plate_color"] or None}], "reason": form["reason"]},
        {"reads.0.plate": "号牌号码", "reads.0.plate_color": "号牌颜色", "reason": "查询事由"},
    )
    [result] = hotlist.check(data, actor=principal, mode="single")
    return _hotlist_page(result)


def _form() -> dict[str, str]:
    return {k: request.form.get(k, "").strip() for k in ("plate", "plate_color", "reason")} | (
        {} if request.method == "POST" else {"plate_color": "yellow"}
    )


def _hotlist_page(result: dict[str, Any] | None) -> Any:
    return render_template(
        "police/hotlist.html",
        form=_form(),
        result=result,
        colors=PLATE_COLOR_ZH,
        situations=answers.SITUATIONS,
        by_code=answers.BY_CODE,
        severity_zh=answers.SEVERITY_ZH,
    )


@bp.get("/hits")
@page_access(D.police)
def hits_today() -> Any:
    start = datetime.combine(local_day(now_utc()), time.min, tzinfo=SHANGHAI)
    rows = db.session.execute(
        select(HotlistRead, HotlistLookup)
        .join(HotlistLookup, HotlistLookup.id == HotlistRead.lookup_id)
        .where(HotlistRead.hit.is_not(None), HotlistRead.seen_at >= start)
        .order_by(HotlistRead.id.desc())
        .limit(500)
    ).all()
    return render_template("police/hits.html", rows=rows)
