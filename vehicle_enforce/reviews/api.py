"""JSON API: the match-review queue (environment decides; a station sees its own records)."""

from __future__ import annotations

from typing import Any, Literal, get_args

from flask import Blueprint, jsonify
from pydantic import Field

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.core.openapi import Out, json_body, operation, query_args
from vehicle_enforce.core.pagination import PageQuery, page, page_json
from vehicle_enforce.core.schemas import Schema
from vehicle_enforce.reviews import services
from vehicle_enforce.reviews.models import MatchReview, RecordKind

bp = Blueprint("reviews_api", __name__, url_prefix="/api/v1")

RecordKindName = Literal["remote_sensing_pass", "roadside_test", "black_smoke_capture", "repair", "gate_record"]
assert set(get_args(RecordKindName)) == {k.value for k in RecordKind}


class ReviewQuery(PageQuery):
    state: Literal["open", "done"] | None = None
    kind: RecordKindName | None = None
    station: str | None = Field(default=None, min_length=1, max_length=32)


class DecisionIn(Schema):
    stored_as = (MatchReview,)
    action: Literal["confirm", "correct", "unlink"]
    reason: str = Field(min_length=1, max_length=500)
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    plate: str | None = Field(default=None, min_length=1, max_length=16)
    plate_color: str | None = Field(default=None, min_length=1, max_length=16)


class ReviewOut(Out):
    """A doubtful plate match of one record, with the candidates and (when done) the decision."""

    id: int
    record_kind: RecordKindName
    record_id: int
    record_kind_zh: str | None
    station: str | None
    occurred_at: str
    plate: str | None
    plate_color: str | None
    match_decision: str | None
    vehicle_id: int | None
    candidates: list[Any] | None
    state: str
    decision: dict[str, Any] | None
    record: dict[str, Any]
    created_at: str


class ReviewPage(Out):
    results: list[ReviewOut]
    next_cursor: str | None


@bp.get("/match-reviews")
@api_access(D.environment, D.station)
@operation(
    "可疑号牌匹配复核队列 / "
    "Doubtful plate matches (pending, ambiguous, probable) of records that can change a listing, a case or "
    "a release; filter by state (open|done), kind and station; a station token sees its own records",
    query=ReviewQuery,
    resp={200: ReviewPage},
)
def list_reviews() -> Any:
    principal = principal_or_401()
    q = query_args(ReviewQuery)
    stmt = services.reviews_query(principal, state=q.state, kind=q.kind, station=q.station)
    rows, cursor = page(stmt, MatchReview.id, q)
    return jsonify(page_json(rows, cursor, services.review_json))


@bp.get("/match-reviews/<int:review_id>")
@api_access(D.environment, D.station)
@operation(
    "单条匹配复核（含照片与候选车辆） / One match review with the record's photos and the candidates",
    resp={200: ReviewOut},
)
def get_review(review_id: int) -> Any:
    return jsonify(services.review_json(services.get_review(review_id, principal_or_401())))


@bp.post("/match-reviews/<int:review_id>")
@api_access(D.environment)
@operation(
    "处理匹配复核：确认车辆、更正号牌或解除关联 / "
    "Decide a match review: confirm the vehicle (vehicle_id), correct the plate (plate, plate_color) or "
    "unlink the record; a reason is required. Re-runs the listing rule; withdrawn evidence releases a "
    "listing whose case is still detected, or opens an evidence-withdrawn task for later cases",
    json=DecisionIn,
    resp={200: ReviewOut},
)
def decide(review_id: int) -> Any:
    principal = principal_or_401()
    data = json_body(DecisionIn)
    review = services.decide(
        review_id,
        data.action,
        principal,
        reason=data.reason,
        vehicle_id=data.vehicle_id,
        plate=data.plate,
        plate_color=data.plate_color,
    )
    return jsonify(services.review_json(review))
