"""What a case does when passes its listing rested on are withdrawn as evidence (a device found faulty).

Before the evidence is confirmed the listing is released and the case closed with it; once the case
has gone on (confirmed, penalised...), people decide: a review task goes to environment and police.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from vehicle_enforce.blacklist import services as blacklist_services
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.cases import services
from vehicle_enforce.cases.models import CASE_STATE_ZH, Case
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.extensions import db
from vehicle_enforce.reviews import services as review_services
from vehicle_enforce.reviews.models import RecordKind


def evidence_withdrawn(entry: BlacklistEntry, pass_ids: Sequence[int], why: str, *, actor: Actor) -> tuple[str, int]:
    """Release the entry with its case, or open a review task; answer ('released', entry id) or ('tasks', case id)."""
    case = db.session.scalar(select(Case).where(Case.entry_id == entry.id))
    if case is None or case.state == "detected":
        blacklist_services.release(entry, "withdrawn", why, actor=actor)
        services.close_for_release(entry, "evidence_withdrawn", {"reason": why}, actor=actor)
        return "released", entry.id
    plate = case.vehicle.plate if case.vehicle is not None else str(case.vehicle_id)
    message = (
        f"案件 {case.id}（{plate}，当前状态：{CASE_STATE_ZH.get(case.state, case.state)}）"
        f"所依据的遥感检测记录 {'、'.join(map(str, pass_ids))} 已撤回：{why}。"
        "请环保与交警核查，必要时撤销处罚。"
    )
    review_services.open_task(
        case, entry, RecordKind.remote_sensing_pass, pass_ids[0], message, why, actor=actor, action_reason=why
    )
    return "tasks", case.id
