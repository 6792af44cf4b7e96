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

# Evidence sources of a listing and the record kinds they name (the review tasks' record_kind).
SOURCE_KINDS = {
    "remote_sensing": RecordKind.remote_sensing_pass,
    "black_smoke": RecordKind.black_smoke_capture,
    "roadside": RecordKind.roadside_test,
    "spot_check": RecordKind.roadside_test,
    "inspection": RecordKind.roadside_test,
}
KIND_ZH = {"remote_sensing": "遥感检测", "black_smoke": "黑烟抓拍", "roadside": "路检", "spot_check": "入户抽测"}


def evidence_withdrawn(
    entry: BlacklistEntry, records: Sequence[tuple[str, int]], why: str, *, actor: Actor
) -> tuple[str, int]:
    """Release the entry with its case, or open a review task; answer ('released', entry id) or ('tasks', case id)."""
    case = db.session.scalar(select(Case).where(Case.entry_id == entry.id))
    if case is None or case.state == "detected":
        blacklist_services.release(entry, "withdrawn", why, actor=actor)
        services.close_for_release(entry, "evidence_withdrawn", {"reason": why}, actor=actor)
        return "released", entry.id
    named = "、".join(f"{KIND_ZH.get(source, 'I站检测')}记录 {record_id}" for source, record_id in records)
    message = (
        f"案件 {case.id}（{_plate(case)}，当前状态：{CASE_STATE_ZH.get(case.state, case.state)}）"
        f"所依据的{named}已撤回：{why}。请环保与交警核查，必要时撤销处罚。"
    )
    source, record_id = records[0]
    review_services.open_task(
        case, entry, SOURCE_KINDS[source], record_id, message, why, actor=actor, action_reason=why
    )
    return "tasks", case.id


def step_record_withdrawn(record_kind: str, record_ids: Sequence[int], why: str, *, actor: Actor) -> list[int]:
    """Cases whose retest (an I站/roadside test) or M站 repair is a withdrawn record: the step stays as it
    was recorded (a release is never undone silently) and a review task goes to environment and police."""
    column = Case.retest_id if record_kind == RecordKind.roadside_test else Case.repair_id
    what = "复检结果" if record_kind == RecordKind.roadside_test else "M站维修记录"
    out: list[int] = []
    for case in db.session.scalars(select(Case).where(column.in_(record_ids)).order_by(Case.id)):
        record_id = case.retest_id if record_kind == RecordKind.roadside_test else case.repair_id
        assert record_id is not None
        message = (
            f"案件 {case.id}（{_plate(case)}，当前状态：{CASE_STATE_ZH.get(case.state, case.state)}）"
            f"登记的{what}（记录 {record_id}）已撤回：{why}。请核查该环节，必要时重新复检或维修。"
        )
        review_services.open_task(
            case, None, RecordKind(record_kind), record_id, message, why, actor=actor, action_reason=why
        )
        out.append(case.id)
    return out


def _plate(case: Case) -> str:
    return case.vehicle.plate if case.vehicle is not None else str(case.vehicle_id)
