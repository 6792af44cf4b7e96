"""JSON API: the match-review queue (environment decides; a station sees its own records)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.core.openapi import json_body, operation, query_args
from vehicle_enforce.core.pagination import page, page_json
from vehicle_enforce.reviews import services
from vehicle_enforce.reviews.models import MatchReview
from vehicle_enforce.reviews.schemas import DecisionIn, ReviewOut, ReviewPage, ReviewQuery

bp = Blueprint("reviews_api", __name__, url_prefix="/api/v1")

_REVIEW = {
    "id": 88,
    "record_kind": "remote_sensing_pass",
    "record_id": 45120,
    "record_kind_zh": "遥感检测",
    "station": "JC-RS-01",
    "station_name": "巴公镇遥感监测点",
    "occurred_at": "2026-12-07T09:42:18+08:00",
    "verdict": "exceed",
    "plate": "晋E1234S",
    "plate_color": "yellow",
    "confidence": 0.71,
    "match_decision": "probable",
    "match_decision_zh": "近似匹配（可能误识别）",
    "vehicle_id": 1024,
    "candidates": [{"vehicle_id": 1024, "plate": "晋E12345", "plate_color": "yellow", "score": 0.912}],
    "state": "open",
    "decision": None,
    "record": {"vehicle_id": 1024, "match_decision": "probable", "plate": "晋E1234S", "plate_color": "yellow"},
    "created_at": "2026-12-07T09:42:19+08:00",
    "photos": [
        {
            "name": "plate.jpg",
            "sha256": "9f2c4e0b7a1d3c5e8f6a2b4d0c1e3f5a7b9d2c4e6f8a0b1c3d5e7f9a2b4c6d8e",
            "media_type": "image/jpeg",
            "url": "/api/v1/evidence/9f2c4e0b7a1d3c5e8f6a2b4d0c1e3f5a7b9d2c4e6f8a0b1c3d5e7f9a2b4c6d8e",
        }
    ],
}
_DECIDED = {
    **_REVIEW,
    "state": "done",
    "match_decision": "confirmed",
    "record": {"vehicle_id": 1024, "match_decision": "confirmed", "plate": "晋E1234S", "plate_color": "yellow"},
    "decision": {
        "action": "confirm",
        "action_zh": "确认车辆",
        "vehicle_id": 1024,
        "plate": None,
        "plate_color": None,
        "reason": "已对照照片核对号牌，末位为5",
        "by": "李娜",
        "department": "environment",
        "at": "2026-12-07T10:05:03+08:00",
    },
}


@bp.get("/match-reviews")
@api_access(D.environment, D.station)
@operation(
    "可疑号牌匹配复核队列 / "
    "Doubtful plate matches (pending, ambiguous, probable) of records that can change a listing, a case or "
    "a release; filter by state (open|done), kind and station; a station token sees its own records",
    query=ReviewQuery,
    resp={200: ReviewPage},
    examples={"response": {"results": [_REVIEW], "next_cursor": None}},
)
def list_reviews() -> Any:
    principal = principal_or_401()
    q = query_args(ReviewQuery)
    stmt = services.reviews_query(q, actor=principal)
    rows, cursor = page(stmt, MatchReview.id, q)
    return jsonify(page_json(rows, cursor, services.review_json))


@bp.get("/match-reviews/<int:review_id>")
@api_access(D.environment, D.station)
@operation(
    "单条匹配复核（含照片与候选车辆） / One match review with the record's photos and the candidates",
    resp={200: ReviewOut},
    examples={"response": _REVIEW},
)
def get_review(review_id: int) -> Any:
    return jsonify(services.review_json(services.get_review(review_id, actor=principal_or_401())))


@bp.post("/match-reviews/<int:review_id>")
@api_access(D.environment)
@operation(
    "处理匹配复核：确认车辆、更正号牌或解除关联 / "
    "Decide a match review: confirm the vehicle (vehicle_id), correct the plate (plate, plate_color) or "
    "unlink the record; a reason is required. Re-runs the listing rule; withdrawn evidence releases a "
    "listing whose case is still detected, or opens an evidence-withdrawn task for later cases",
    json=DecisionIn,
    resp={200: ReviewOut},
    examples={
        "request": {"action": "confirm", "vehicle_id": 1024, "reason": "已对照照片核对号牌，末位为5"},
        "response": _DECIDED,
    },
)
def decide(review_id: int) -> Any:
    principal = principal_or_401()
    review = services.decide(review_id, json_body(DecisionIn), actor=principal)
    return jsonify(services.review_json(review))
