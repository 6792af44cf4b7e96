"""Environment page: review doubtful plate matches, the photo beside the candidates, one click to confirm."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.forms import field_refused, parse_form, refused_redraws
from vehicle_enforce.core.inputs import db_int
from vehicle_enforce.extensions import db
from vehicle_enforce.reviews import services
from vehicle_enforce.reviews.models import MatchReview
from vehicle_enforce.reviews.schemas import DecisionIn
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH

bp = Blueprint("review_pages", __name__, url_prefix="/ops/match-reviews")

PAGE_SIZE = 20
ACTION_DONE_ZH = {"confirm": "已确认车辆", "correct": "已更正号牌", "unlink": "已解除关联"}


#: The page's names for the fields a decision may refuse.
FIELD_LABELS = {"review_id": "核对记录", "vehicle_id": "车辆", "plate": "号牌", "plate_color": "号牌颜色"}
FIELD_LABELS |= {"reason": "理由", "action": "操作"}


@bp.get("/")
@page_access(D.environment)
def reviews_page() -> Any:
    rows = db.session.scalars(
        select(MatchReview).where(MatchReview.state == "open").order_by(MatchReview.id).limit(PAGE_SIZE)
    ).all()
    return render_template(
        "environment/match_reviews.html",
        reviews=[services.review_json(r) for r in rows],
        open_count=services.open_count(),
        colors=PLATE_COLOR_ZH,
    )


@bp.post("/")
@page_access(D.environment)
@refused_redraws(reviews_page, "核对结果未保存", FIELD_LABELS)
def decide() -> Any:
    principal = current_principal()
    assert principal is not None
    form = request.form
    review_id = db_int(form.get("review_id"))
    if review_id is None:
        raise field_refused("review_id", "请求不完整，请刷新页面后重试")
    action = form.get("action", "")
    values = {name: form[name] for name in ("action", "reason", "vehicle_id", "plate", "plate_color") if form.get(name)}
    review = services.decide(review_id, parse_form(DecisionIn, values, FIELD_LABELS), actor=principal)
    what = f"{services.KIND_ZH.get(review.record_kind)} {review.plate or '无车牌'}"
    flash(f"{ACTION_DONE_ZH.get(action, '已处理')}：{what}", "info")
    return redirect(url_for("review_pages.reviews_page"))
