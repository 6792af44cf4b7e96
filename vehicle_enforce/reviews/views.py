"""Environment page: review doubtful plate matches, the photo beside the candidates, one click to confirm."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core import decisions, listing
from vehicle_enforce.core.forms import field_refused, parse_form, refused_redraws
from vehicle_enforce.core.inputs import db_int
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.models import Station
from vehicle_enforce.reviews import services
from vehicle_enforce.reviews.models import MatchReview
from vehicle_enforce.reviews.schemas import DecisionIn
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH, Vehicle

bp = Blueprint("review_pages", __name__, url_prefix="/ops/match-reviews")

PAGE_SIZE = 20
ACTION_ZH = {"confirm": "确认车辆", "correct": "更正号牌", "unlink": "解除关联"}
ACTION_DONE_ZH = {"confirm": "已确认车辆", "correct": "已更正号牌", "unlink": "已解除关联"}


#: The page's names for the fields a decision may refuse.
FIELD_LABELS = {"review_id": "核对记录", "vehicle_id": "车辆", "plate": "号牌", "plate_color": "号牌颜色"}
FIELD_LABELS |= {"reason": "理由", "action": "操作"}


def _review_row(row: tuple[MatchReview, str | None]) -> dict[str, Any]:
    r, station = row
    return {
        "id": r.id,
        "record_kind": r.record_kind,
        "record_id": r.record_id,
        "occurred_at": r.occurred_at,
        "station": station,
        "plate": r.plate or "未识别",
        "plate_color": r.plate_color,
        "confidence": r.confidence,
        "match_decision": r.match_decision,
        "created_at": r.created_at,
    }


REVIEWS = listing.ListSpec(
    name="match_reviews",
    title="号牌人工核对",
    id_column=MatchReview.id,
    filters=(
        listing.plate_search(MatchReview.plate, "识别号牌"),
        listing.Filter("kind", "记录类型", listing.equals(MatchReview.record_kind), "choice", services.KIND_ZH),
        listing.Filter(
            "decision", "匹配情况", listing.equals(MatchReview.match_decision), "choice", services.DECISION_ZH
        ),
        listing.Filter("date", "发生日期", listing.on_day(MatchReview.occurred_at), "date"),
    ),
    sorts=(
        listing.Sort("id", "进入队列顺序", MatchReview.id, "int"),
        listing.Sort("occurred_at", "发生时间", MatchReview.occurred_at),
    ),
    default_sort="id",  # a queue: the oldest first
    page_size=PAGE_SIZE,
    columns=(
        Column("id", "核对编号", "int"),
        Column("record_kind", "记录类型", labels=services.KIND_ZH),
        Column("record_id", "记录编号", "int"),
        Column("occurred_at", "发生时间", "datetime"),
        Column("station", "站点"),
        Column("plate", "识别号牌"),
        Column("plate_color", "号牌颜色", labels=PLATE_COLOR_ZH),
        Column("confidence", "识别置信度", "percent"),
        Column("match_decision", "匹配情况", labels=services.DECISION_ZH),
        Column("created_at", "进入队列时间", "datetime"),
    ),
    export_row=_review_row,
    export_query=lambda stmt: stmt.outerjoin(Station, Station.id == MatchReview.station_id).add_columns(Station.name),
)


@bp.get("/")
@page_access(D.environment)
def reviews_page() -> Any:
    """The open reviews, oldest first: search by the plate read, filter by kind, match and day; export."""
    principal = current_principal()
    assert principal is not None
    return listing.respond(
        REVIEWS,
        services.open_reviews_query(),
        principal,
        lambda state: render_template(
            "environment/match_reviews.html",
            state=state,
            reviews=[_with_page_photos(r) for r in state.rows],
            open_count=services.open_count(),
            colors=PLATE_COLOR_ZH,
        ),
    )


def _with_page_photos(review: MatchReview) -> dict[str, Any]:
    """The review as the page shows it: its record's photos linked through the review, served only to
    whoever may decide it (reviews/evidence_views.py)."""
    data = services.review_json(review, with_photos=False)
    data["photos"] = evidence.page_files("match-review", review.id, review.record_kind, review.record_id)
    return data


#: The confirmation step's question per decision (every one changes the record and maybe its case).
ASK_ZH = {
    "confirm": "确认{what}是所选车辆（{plate}）？",
    "correct": "将{what}的号牌更正为 {plate}，并按更正后的号牌重新匹配车辆？",
    "unlink": "解除{what}与车辆的关联？已据此立案的，证据将撤回并通知生态环境、公安部门复核。",
}


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
    data = parse_form(DecisionIn, values, FIELD_LABELS)
    if not decisions.confirmed():  # the confirmation step first (evidence.js asks in a dialog instead)
        pending = services.get_review(review_id, actor=principal)
        read = pending.plate or "无车牌"
        what = f"{services.KIND_ZH.get(pending.record_kind)}（记录 {pending.record_id}，识别为 {read}）"
        chosen = db.session.get(Vehicle, data.vehicle_id) if data.vehicle_id else None
        plate = chosen.plate if chosen is not None else (data.plate or "")
        return decisions.ask(ASK_ZH[data.action].format(what=what, plate=plate), label=ACTION_ZH[data.action])
    review = services.decide(review_id, data, actor=principal)
    what = f"{services.KIND_ZH.get(review.record_kind)} {review.plate or '无车牌'}"
    flash(f"{ACTION_DONE_ZH.get(action, '已处理')}：{what}", "info")
    return redirect(url_for("review_pages.reviews_page"))
