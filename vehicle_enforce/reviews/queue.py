"""Queue doubtful plate matches for a person (flush, never commit).

Only records that can change a listing, a case or a release are queued: exceeding or failed verdicts
(remote-sensing passes, roadside and depot tests), black-smoke captures over the limit, every I站
result (a pass releases, a fail sends back to repair), every M站 repair and the gate records of key
enterprises made while an alert was in force. Other doubtful records keep
their match decision without a review. A record is doubtful when its plate is unread or read below the
confidence threshold (`pending`), several vehicles fit it (`ambiguous`) or one fits only with a
misread allowed (`probable`).

Inspections calls these functions where it makes its match decisions; they depend on nothing but the
models, so every domain can queue without import cycles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from plates import MatchResult
from vehicle_enforce.core import actors, audit
from vehicle_enforce.core.bulk import insert_ignore_conflicts
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.reviews.models import MatchReview, RecordKind, ReviewAction, ReviewState

DOUBTFUL = frozenset({"pending", "ambiguous", "probable"})

#: Who opens and closes reviews by itself: the queue, on the match decision a record was stored with or
#: re-read to. Nobody chose to queue a record, so the audit names the queue, not the caller that stored it.
QUEUE = actors.system("reviews:queue")


def counts(kind: str, verdict: str | None, test_kind: str | None = None) -> bool:
    """Whether a record of this kind and verdict can change a listing, a case or a release."""
    if kind == RecordKind.remote_sensing_pass:
        return verdict == "exceed"
    if kind == RecordKind.black_smoke_capture:
        return verdict == "exceed"
    if kind == RecordKind.roadside_test:
        return test_kind == "inspection" or verdict in ("exceed", "fail")
    return kind in (RecordKind.repair, RecordKind.gate_record)  # gate records: the caller queues only during alerts


def candidates_json(result: MatchResult | None) -> list[dict[str, Any]]:
    if result is None:
        return []
    return [
        {
            "vehicle_id": c.vehicle_id,
            "plate": c.plate,
            "plate_color": c.plate_color.value,
            "score": round(c.score, 3),
        }
        for c in result.candidates
    ]


def review_row(
    kind: str,
    record_id: int,
    *,
    station_id: int | None,
    occurred_at: datetime,
    verdict: str | None,
    plate: str,
    plate_color: str,
    confidence: float | None,
    decision: str,
    vehicle_id: int | None,
    result: MatchResult | None,
) -> dict[str, Any]:
    return {
        "record_kind": str(kind),
        "record_id": record_id,
        "station_id": station_id,
        "occurred_at": occurred_at,
        "verdict": verdict,
        "plate": plate or "",
        "plate_color": plate_color or "unknown",
        "confidence": confidence,
        "match_decision": decision,
        "vehicle_id": vehicle_id,
        "candidates": candidates_json(result),
        "state": ReviewState.open.value,
        "created_at": now_utc(),
    }


def queue_many(rows: Sequence[dict[str, Any]]) -> int:
    """Insert review rows (review_row) for doubtful records; a record already queued is left alone."""
    wanted = [r for r in rows if r["match_decision"] in DOUBTFUL]
    if not wanted:
        return 0
    inserted = insert_ignore_conflicts(
        MatchReview.__table__, wanted, ["record_kind", "record_id"], returning=("id", "record_kind", "record_id")
    )
    audit.record_many(
        [("match_review.open", "match_review", rid, {"record_kind": k, "record_id": r}) for rid, k, r in inserted],
        actor=QUEUE,
    )
    return len(inserted)


def review_of(
    kind: str, record: Any, occurred_at: datetime, result: MatchResult | None, **fields: Any
) -> dict[str, Any]:
    """The review row (review_row) of a stored record: a model, or a row mapping with the same names.

    Its id, station, verdict, plate, confidence and match decision are the record's; `fields` overrides
    any of them (e.g. a fresh read the record does not hold).
    """
    values = record if isinstance(record, Mapping) else {}

    def get(name: str) -> Any:
        return values.get(name) if values else getattr(record, name, None)

    given: dict[str, Any] = {
        "station_id": get("station_id"),
        "occurred_at": occurred_at,
        "verdict": get("verdict"),
        "plate": get("plate"),
        "plate_color": get("plate_color"),
        "confidence": get("plate_confidence"),
        "decision": get("match_decision"),
        "vehicle_id": get("vehicle_id"),
        "result": result,
    }
    return review_row(kind, get("id"), **{**given, **fields})


def queue(row: dict[str, Any]) -> int:
    """Queue one record's review row (review_of), when its match is doubtful."""
    return queue_many([row])


def reread(row: dict[str, Any]) -> None:
    """The plate of a record was read again (by the reader): update or close its open review.

    An exact match closes the review (decided by the system, audited); a still doubtful one updates
    what the person sees, or queues the record if it was not queued yet.
    """
    review = db.session.scalar(
        select(MatchReview).where(
            MatchReview.record_kind == row["record_kind"], MatchReview.record_id == row["record_id"]
        )
    )
    if review is None:
        queue_many([row])
        return
    if review.state != ReviewState.open:
        return
    if row["match_decision"] in DOUBTFUL:
        for name in ("plate", "plate_color", "confidence", "match_decision", "vehicle_id", "candidates"):
            setattr(review, name, row[name])
        return
    review.state = ReviewState.done.value
    review.action = ReviewAction.reread.value
    review.decided_vehicle_id = row["vehicle_id"]
    review.decided_by = "system"  # what the page shows; the audit entry names the queue (QUEUE)
    review.decided_at = now_utc()
    review.reason = f"号牌自动重新识别为 {row['plate']}，{row['match_decision']}"
    db.session.flush()
    audit.record("match_review.reread", "match_review", review.id, {"decision": row["match_decision"]}, actor=QUEUE)
