"""Withdrawing bad device data: a station's (or one device's) records over a period stop counting as evidence.

Every kind of device record that can back a listing or a case step can be withdrawn: remote-sensing
passes, roadside/spot/I站 test results, black-smoke captures and M站 repairs. The records stay stored (and
judged) and are marked withdrawn (every record API and page shows the flag, the reason and the time);
the listing rule runs again for every vehicle whose active listing used one of them. An entry that no
longer holds is released when its case is still `detected` (the case closes); a case further on is never
released silently: an evidence-withdrawn task goes to environment and police (a penalty may need
revoking). A case step that named a withdrawn record (the retest that released or reopened it, the M站
repair) opens the same task. Police follow releases and tasks on the change feed; the export sends each
withdrawn pass, test and capture as a correction (repairs are not exported).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from vehicle_enforce import signals
from vehicle_enforce.auth import scope
from vehicle_enforce.blacklist import services as blacklist_services
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.blacklist.schemas import WithdrawalIn, WithdrawalOut
from vehicle_enforce.core import audit, bulk
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.timeutil import format_local, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import rules as inspection_rules
from vehicle_enforce.inspections.models import (
    BlackSmokeCapture,
    Device,
    EvidenceWithdrawal,
    RemoteSensingPass,
    Repair,
    RoadsideTest,
    Station,
    WithdrawnPass,
)

#: Every record kind a withdrawal covers: its model, its time column, the station's own key, the evidence
#: sources of a listing that cite it, the correction the export sends (None: not exported), its Chinese name.
KINDS: dict[str, tuple[Any, Any, Any, tuple[str, ...], str | None, str]] = {
    "remote_sensing_pass": (
        RemoteSensingPass,
        RemoteSensingPass.measured_at,
        RemoteSensingPass.record_id,
        ("remote_sensing",),
        "remote_sensing_pass_withdrawal",
        "遥感检测",
    ),
    "roadside_test": (
        RoadsideTest,
        RoadsideTest.tested_at,
        RoadsideTest.report_number,
        ("roadside", "spot_check", "inspection"),
        "roadside_test_withdrawal",
        "路检/入户抽测/I站检测",
    ),
    "black_smoke_capture": (
        BlackSmokeCapture,
        BlackSmokeCapture.captured_at,
        BlackSmokeCapture.capture_id,
        ("black_smoke",),
        "black_smoke_capture_withdrawal",
        "黑烟抓拍",
    ),
    "repair": (Repair, Repair.repaired_at, Repair.repair_number, (), None, "M站维修"),
}


def withdraw(data: WithdrawalIn, *, actor: Actor) -> EvidenceWithdrawal:
    """Withdraw a station's (or one device's) records over [since, until) for `actor`; recheck their
    listings and the case steps that named them."""
    station_code, device_code, since, until = data.station, data.device, data.since, data.until
    reason = data.reason.strip()
    if not reason:
        raise Invalid("须写明撤回原因", {"reason": "必填：撤回原因（如事后发现校准失效）"})
    if until <= since:
        raise Invalid("时间段不正确", {"until": "须晚于开始时间"})
    default = ["remote_sensing_pass"] if device_code else list(KINDS)
    kinds: list[str] = list(dict.fromkeys(data.kinds or default))
    if device_code and kinds != ["remote_sensing_pass"]:
        raise Invalid(
            "只有遥感检测记录带设备编号：按设备撤回只能撤回遥感记录",
            {"device": "按设备撤回时 kinds 只能为 remote_sensing_pass"},
        )
    station = db.session.scalar(select(Station).where(Station.code == station_code))
    if station is None or not scope.in_county(station, actor):  # another county's station: as a missing one
        raise NotFound(f"station {station_code} not found", {"station": "没有该站点"})
    device = None
    if device_code:
        device = db.session.scalar(select(Device).where(Device.station_id == station.id, Device.code == device_code))
        if device is None:
            raise NotFound(f"device {device_code} not found", {"device": "该站点没有这台设备"})
    withdrawal = EvidenceWithdrawal(
        station_id=station.id,
        device_id=device.id if device else None,
        since=since,
        until=until,
        reason=reason,
        created_by=actor.name,
        outcome={},
    )
    db.session.add(withdrawal)
    db.session.flush()
    found = {kind: _withdraw_kind(kind, withdrawal, station, device) for kind in kinds}
    what = f"{station.name}（{station.code}）" + (f"设备 {device.code}" if device else "")
    period = f"{format_local(since, '%Y-%m-%d %H:%M')} 至 {format_local(until, '%Y-%m-%d %H:%M')}"
    names = "、".join(KINDS[k][5] for k in kinds if found[k])
    why = f"{what}{period}的{names or '检测'}数据已撤回：{reason}"
    for kind, keys in found.items():
        correction = KINDS[kind][4]
        if correction and keys:  # the export sends each withdrawn record as a correction of what it sent
            signals.send_records(
                correction,
                [(i, _correction(kind, i, key, station.code, reason), station.code) for i, key in keys.items()],
            )
    cited = {(source, i) for kind, keys in found.items() for source in KINDS[kind][3] for i in keys}
    outcome = recheck_listings(cited, why, actor=actor)
    outcome["tasks"] += _steps_naming({kind: list(keys) for kind, keys in found.items()}, why, actor=actor)
    withdrawal.outcome = {
        "passes": len(found.get("remote_sensing_pass", {})),
        "records": {kind: len(keys) for kind, keys in found.items()},
        **outcome,
    }
    audit.record(
        "evidence.withdraw",
        "evidence_withdrawal",
        withdrawal.id,
        {
            "station": station.code,
            "device": device_code,
            "since": since,
            "until": until,
            "reason": reason,
            "kinds": kinds,
            **outcome,
        },
        actor=actor,
    )
    return withdrawal


def _withdraw_kind(
    kind: str, withdrawal: EvidenceWithdrawal, station: Station, device: Device | None
) -> dict[int, str]:
    """Mark the station's records of one kind in the period withdrawn; answer their ids with the station's
    own key of each (one query: a month of a busy site's passes is thousands of rows)."""
    model, at, key, *_ = KINDS[kind]
    stmt = select(model.id, key).where(model.station_id == station.id, at >= withdrawal.since, at < withdrawal.until)
    if kind == "remote_sensing_pass":
        already = select(WithdrawnPass.pass_id).where(WithdrawnPass.pass_id == RemoteSensingPass.id).exists()
        stmt = stmt.where(~already)
        if device is not None:
            stmt = stmt.where(RemoteSensingPass.device_id == device.id)
    else:
        stmt = stmt.where(model.withdrawal_id.is_(None))
    keys: dict[int, str] = {i: k for i, k in db.session.execute(stmt.order_by(model.id))}
    ids = list(keys)
    if not ids:
        return keys
    if kind == "remote_sensing_pass":
        bulk.insert_rows(WithdrawnPass.__table__, [{"pass_id": i, "withdrawal_id": withdrawal.id} for i in ids])
    else:
        db.session.execute(
            update(model).where(model.id.in_(ids)).values(withdrawal_id=withdrawal.id),
            execution_options={"synchronize_session": False},
        )
    # Rows already loaded in this session show the flag at once.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and obj.id in keys:
            db.session.expire(obj)
    return keys


def _correction(kind: str, record_id: int, key: str, station: str, reason: str) -> dict[str, Any]:
    """The correction the export sends: which record (the station's own key beside ours), withdrawn, why."""
    ours = "pass_id" if kind == "remote_sensing_pass" else "id"
    return {
        ours: record_id,
        KINDS[kind][2].key: key,
        "record_kind": kind,
        "station": station,
        "withdrawn": True,
        "reason": reason,
    }


def _steps_naming(found: dict[str, list[int]], why: str, *, actor: Actor) -> list[int]:
    """Cases whose retest or repair step named a withdrawn record: a review task each (never undone silently)."""
    out: list[int] = []
    for kind in ("roadside_test", "repair"):
        if found.get(kind):
            for case_ids in signals.answers(
                signals.case_step_record_withdrawn,
                "blacklist",
                record_kind=kind,
                record_ids=found[kind],
                why=why,
                actor=actor,
            ):
                out.extend(case_ids)
    return out


def recheck_listings(cited: set[tuple[str, int]], why: str, *, actor: Actor) -> dict[str, list[int]]:
    """Run the listing rule again for every active listing that rested on one of these records
    (`cited`: (evidence source, record id) pairs)."""
    out: dict[str, list[int]] = {"released": [], "tasks": [], "still_listed": []}
    if not cited:
        return out
    entries = [
        e
        for e in db.session.scalars(select(BlacklistEntry).where(BlacklistEntry.status == "active"))
        if any((ev.get("source"), ev.get("record_id")) in cited for ev in e.evidence or [])
    ]
    if not entries:
        return out
    blacklist_services._lock_vehicles([e.vehicle_id for e in entries])
    rules = inspection_rules.rules_on(local_day(now_utc())).blacklist
    for entry in entries:
        # A repeat listing may still hold on the records that remain; a listing on one test does not.
        if entry.rule == "remote_sensing_repeat" and blacklist_services.still_holds(
            entry.vehicle_id, rules.min_exceeding_passes, rules.window_days
        ):
            out["still_listed"].append(entry.id)
            continue
        withdrawn = sorted(
            (
                (str(ev["source"]), int(ev["record_id"]))
                for ev in entry.evidence or []
                if (ev.get("source"), ev.get("record_id")) in cited
            ),
        )
        # The case decides: released with it while the evidence is unconfirmed, else a review task.
        for outcome, ident in signals.answers(
            signals.listing_evidence_withdrawn, "blacklist", entry=entry, records=withdrawn, why=why, actor=actor
        ):
            out[outcome].append(ident)
    return out


def withdrawal_json(w: EvidenceWithdrawal) -> dict[str, Any]:
    return WithdrawalOut.model_validate(w).model_dump(mode="json")
