"""Request and response shapes of the match-review API, shared by its services and its page."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from vehicle_enforce.core.openapi import Out
from vehicle_enforce.core.pagination import PageQuery
from vehicle_enforce.core.schemas import Schema
from vehicle_enforce.reviews.models import MatchReview, RecordKind

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


# --- answers -----------------------------------------------------------------------------------------


class CandidateOut(Out):
    vehicle_id: int
    plate: str
    plate_color: str
    score: float


class PhotoOut(Out):
    name: str
    sha256: str
    media_type: str | None
    url: str


class RecordLinkOut(Out):
    """What the record itself names now."""

    vehicle_id: int | None
    match_decision: str | None
    plate: str | None
    plate_color: str | None


class DecisionOut(Out):
    action: str | None
    action_zh: str | None
    vehicle_id: int | None
    plate: str | None
    plate_color: str | None
    reason: str | None
    by: str | None
    department: str | None
    at: str | None = Field(description="Beijing time, ISO 8601 with +08:00")


class ReviewOut(Out):
    """A doubtful plate match of one record, with the candidates and (when done) the decision.

    Times are Beijing time (ISO 8601 with +08:00), as the review queue has always written them.
    """

    id: int
    record_kind: RecordKindName
    record_id: int
    record_kind_zh: str | None
    station: str | None
    station_name: str | None
    occurred_at: str
    verdict: str | None
    plate: str | None
    plate_color: str | None
    confidence: float | None
    match_decision: str | None
    match_decision_zh: str | None
    vehicle_id: int | None
    candidates: list[CandidateOut] | None
    state: str
    decision: DecisionOut | None
    record: RecordLinkOut
    created_at: str
    photos: list[PhotoOut] = Field(default_factory=list)


class ReviewPage(Out):
    results: list[ReviewOut]
    next_cursor: str | None
