"""Police hotlist checks: one plate at a checkpoint, or a camera gateway's batch of reads.

The hot path is two queries whatever the batch size: one for the plates' confusion keys (the
misread-tolerant matcher) and one for the active entries with their cases. Every lookup is recorded
(who, when, which plates, hits); reads that were not hits are purged after the retention period.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, text

from vehicle_enforce.auth.principal import Principal
from vehicle_enforce.blacklist.models import BlacklistEntry, HotlistLookup, HotlistRead
from vehicle_enforce.cases.models import Case
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.phaseout import services as phaseout_services
from vehicle_enforce.vehicles.matching import match_many

ACTIONS_ZH = {
    "stop_and_penalize": "拦截检查，移交处罚",
    "turn_back": "劝返，督促按期维修",
    "verify_plate": "疑似号牌误识别，请核对号牌后处理",
    "none": "无需处理",
}
# What the officer does, by the state of the vehicle's case.
ACTION_BY_STATE = {
    "detected": "stop_and_penalize",
    "confirmed": "stop_and_penalize",
    "penalized": "turn_back",
    "repair_ordered": "turn_back",
    "repaired": "turn_back",
}

# Other domains (heavy-pollution alerts) add a `restriction` to each result through these hooks:
# `hook(reads: list[Read], vehicle_ids: list[int | None]) -> list[dict | None]`.
RESTRICTION_PROVIDERS: list[Callable[[Sequence[Read], Sequence[int | None]], list[dict[str, Any] | None]]] = []


@dataclass(frozen=True)
class Read:
    plate: str
    plate_color: str | None
    seen_at: datetime | None = None
    location: str | None = None


def check(reads: Sequence[Read], principal: Principal, *, reason: str | None, mode: str) -> list[dict[str, Any]]:
    matches = match_many([(r.plate, r.plate_color) for r in reads])
    vehicle_ids = [m.match.vehicle_id if m.match is not None else None for m in matches]
    wanted = sorted({v for v in vehicle_ids if v is not None})
    found: dict[int, tuple[Any, ...]] = {}
    if wanted:
        rows = db.session.execute(
            select(
                BlacklistEntry.vehicle_id,
                BlacklistEntry.id,
                BlacklistEntry.reason,
                BlacklistEntry.listed_at,
                BlacklistEntry.rule,
                Case.id,
                Case.state,
                Case.due_at,
            )
            .outerjoin(Case, Case.entry_id == BlacklistEntry.id)
            .where(BlacklistEntry.vehicle_id.in_(wanted), BlacklistEntry.status == "active")
        ).all()
        found = {row[0]: tuple(row) for row in rows}
    restrictions: list[list[dict[str, Any] | None]] = [hook(reads, vehicle_ids) for hook in RESTRICTION_PROVIDERS]
    now = now_utc()
    # A checkpoint sighting of a scrapped or deregistered vehicle raises "scrapped but still driving".
    phaseout_services.check_seen_again(
        (vid, read.seen_at or now, "checkpoint", read.location)
        for read, vid in zip(reads, vehicle_ids, strict=True)
        if vid is not None
    )
    results, stored = [], []
    for index, (read, result, vehicle_id) in enumerate(zip(reads, matches, vehicle_ids, strict=True)):
        row = found.get(vehicle_id) if vehicle_id is not None else None
        hit = result.decision if row is not None else None
        entry = case = None
        action = "none"
        if row is not None:
            _, entry_id, entry_reason, listed_at, rule, case_id, state, due_at = row
            entry = {"id": entry_id, "reason": entry_reason, "listed_at": listed_at.isoformat(), "rule": rule}
            case = (
                {"id": case_id, "state": state, "due_at": due_at.isoformat() if due_at else None} if case_id else None
            )
            action = ACTION_BY_STATE.get(state or "detected", "stop_and_penalize")
            if hit == "probable":
                action = "verify_plate"
        item: dict[str, Any] = {
            "hit": hit,
            "plate": read.plate,
            "plate_color": read.plate_color,
            "vehicle_id": vehicle_id,
            "match_decision": result.decision,
            "matched_plate": result.match.plate if result.match is not None else None,
            "entry": entry,
            "case": case,
            "action": action,
            "action_zh": ACTIONS_ZH[action],
        }
        for provided in restrictions:
            if provided[index] is not None:
                item["restriction"] = provided[index]
        results.append(item)
        stored.append(
            {
                "plate": read.plate[:16],
                "plate_color": (read.plate_color or "unknown")[:16],
                "seen_at": read.seen_at or now,
                "location": read.location,
                "hit": hit,
                "vehicle_id": vehicle_id if hit else None,
                "entry_id": entry["id"] if entry else None,
            }
        )
    _record(principal, reason, mode, stored)
    return results


def _record(principal: Principal, reason: str | None, mode: str, reads: list[dict[str, Any]]) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        # The lookup record need not wait for its WAL flush: a crash can lose at most the last moment of
        # lookup records, never corrupt them, and checks stay fast at the checkpoint.
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
    lookup = HotlistLookup(
        actor_kind=principal.kind,
        actor_id=principal.id,
        actor_name=principal.name,
        department=principal.department,
        reason=reason,
        mode=mode,
        read_count=len(reads),
        hit_count=sum(1 for r in reads if r["hit"]),
        at=now_utc(),
    )
    db.session.add(lookup)
    db.session.flush()
    db.session.execute(HotlistRead.__table__.insert(), [{**r, "lookup_id": lookup.id} for r in reads])


def purge_misses(now: datetime | None = None) -> int:
    """Delete reads that were not hits and are older than HOTLIST_MISS_RETENTION_DAYS; return how many."""
    days = int(current_app.config.get("HOTLIST_MISS_RETENTION_DAYS", 30))
    cutoff = (now or now_utc()) - timedelta(days=days)
    result = db.session.execute(delete(HotlistRead).where(HotlistRead.hit.is_(None), HotlistRead.seen_at < cutoff))
    return int(result.rowcount or 0)
