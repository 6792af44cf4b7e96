"""Environment page: review doubtful plate matches, the photo beside the candidates, one click to confirm."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.extensions import db
from vehicle_enforce.reviews import services
from vehicle_enforce.reviews.models import MatchReview
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH

bp = Blueprint("review_pages", __name__, url_prefix="/ops/match-reviews")

PAGE_SIZE = 20
ACTION_DONE_ZH = {"confirm": "已确认车辆", "correct": "已更正号牌", "unlink": "已解除关联"}


@bp.route("/", methods=["GET", "POST"])
@page_access(D.environment)
def reviews_page() -> Any:
    principal = current_principal()
    assert principal is not None
    if request.method == "POST":
        form = request.form
        try:
            review_id = int(form.get("review_id", ""))
            vehicle_id = int(form["vehicle_id"]) if form.get("vehicle_id") else None
        except ValueError:
            flash("核对结果未保存：请求不完整，请刷新页面后重试", "error")
            return redirect(url_for("review_pages.reviews_page"))
        action = form.get("action", "")
        try:
            review = services.decide(
                review_id,
                action,
                principal,
                reason=form.get("reason"),
                vehicle_id=vehicle_id,
                plate=form.get("plate") or None,
                plate_color=form.get("plate_color") or None,
            )
            what = f"{services.KIND_ZH.get(review.record_kind)} {review.plate or '无车牌'}"
            flash(f"{ACTION_DONE_ZH.get(action, '已处理')}：{what}", "info")
        except ServiceError as exc:
            db.session.rollback()
            problems = "；".join(exc.fields.values()) if exc.fields else ""
            flash(f"核对结果未保存：{problems or '请检查填写内容'}", "error")
        return redirect(url_for("review_pages.reviews_page"))
    rows = db.session.scalars(
        select(MatchReview).where(MatchReview.state == "open").order_by(MatchReview.id).limit(PAGE_SIZE)
    ).all()
    return render_template(
        "environment/match_reviews.html",
        reviews=[services.review_json(r) for r in rows],
        open_count=services.open_count(),
        colors=PLATE_COLOR_ZH,
    )
