"""Withdrawing bad device data: a station's or one device's passes over a period stop counting as evidence.

The passes stay stored (and judged) and are marked withdrawn; the listing rule runs again for every
vehicle whose active listing used one of them. An entry that no longer holds is released when its case
is still `detected` (the case closes); a case further on is never released silently: an
evidence-withdrawn task goes to environment and police (a penalty may need revoking). Police follow
releases and tasks on the change feed; the export sends each withdrawn pass as a correction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from vehicle_enforce import signals
from vehicle_enforce.blacklist import services as blacklist_services
from vehicle_enforce.blacklist.models import BlacklistEntry, EvidenceWithdrawal, WithdrawnPass
from vehicle_enforce.blacklist.schemas import WithdrawalIn, WithdrawalOut
from vehicle_enforce.core import audit, bulk
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.timeutil import format_local, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import rules as inspection_rules
from vehicle_enforce.inspections.models import Device, RemoteSensingPass, Station


def withdraw(data: WithdrawalIn, *, actor: Actor) -> EvidenceWithdrawal:
    """Withdraw a station's (or one device's) passes over [since, until) for `actor`; recheck their listings."""
    station_code, device_code, since, until = data.station, data.device, data.since, data.until
    reason = data.reason.strip()
    if not reason:
        raise Invalid("须写明撤回原因", {"reason": "必填：撤回原因（如事后发现校准失效）"})
    if until <= since:
        raise Invalid("时间段不正确", {"until": "须晚于开始时间"})
    station = db.session.scalar(select(Station).where(Station.code == station_code))
    if station is None:
        raise NotFound(f"station {station_code} not found", {"station": "没有该站点"})
    device = None
    if device_code:
        device = db.session.scalar(select(Device).where(Device.station_id == station.id, Device.code == device_code))
        if device is None:
            raise NotFound(f"device {device_code} not found", {"device": "该站点没有这台设备"})
    already = select(WithdrawnPass.pass_id).where(WithdrawnPass.pass_id == RemoteSensingPass.id).exists()
    stmt = select(RemoteSensingPass).where(
        RemoteSensingPass.station_id == station.id,
        RemoteSensingPass.measured_at >= since,
        RemoteSensingPass.measured_at < until,
        ~already,
    )
    if device is not None:
        stmt = stmt.where(RemoteSensingPass.device_id == device.id)
    passes = list(db.session.scalars(stmt.order_by(RemoteSensingPass.id)))
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
    if passes:
        bulk.insert_rows(WithdrawnPass.__table__, [{"pass_id": p.id, "withdrawal_id": withdrawal.id} for p in passes])
    what = f"{station.name}（{station.code}）" + (f"设备 {device.code}" if device else "")
    period = f"{format_local(since, '%Y-%m-%d %H:%M')} 至 {format_local(until, '%Y-%m-%d %H:%M')}"
    # The export sends each withdrawn pass as a correction of the record it sent before.
    signals.send_records(
        "remote_sensing_pass_withdrawal",
        [
            (
                p.id,
                {
                    "pass_id": p.id,
                    "record_id": p.record_id,
                    "station": station.code,
                    "withdrawn": True,
                    "reason": reason,
                },
                station.code,
            )
            for p in passes
        ],
    )
    outcome = recheck_listings({p.id for p in passes}, f"{what}{period}的遥感数据已撤回：{reason}", actor=actor)
    withdrawal.outcome = {"passes": len(passes), **outcome}
    audit.record(
        "evidence.withdraw",
        "evidence_withdrawal",
        withdrawal.id,
        {"station": station.code, "device": device_code, "since": since, "until": until, "reason": reason, **outcome},
        actor=actor,
    )
    return withdrawal


def recheck_listings(pass_ids: set[int], why: str, *, actor: Actor) -> dict[str, list[int]]:
    """Run the listing rule again for every active listing that rested on one of these passes."""
    out: dict[str, list[int]] = {"released": [], "tasks": [], "still_listed": []}
    if not pass_ids:
        return out
    entries = [
        e
        for e in db.session.scalars(
            select(BlacklistEntry).where(
                BlacklistEntry.status == "active", BlacklistEntry.rule == "remote_sensing_repeat"
            )
        )
        if any(ev.get("source") == "remote_sensing" and ev.get("record_id") in pass_ids for ev in e.evidence or [])
    ]
    if not entries:
        return out
    blacklist_services._lock_vehicles([e.vehicle_id for e in entries])
    rules = inspection_rules.rules_on(local_day(now_utc())).blacklist
    for entry in entries:
        if blacklist_services.still_holds(entry.vehicle_id, rules.min_exceeding_passes, rules.window_days):
            out["still_listed"].append(entry.id)
            continue
        withdrawn = sorted(
            ev["record_id"]
            for ev in entry.evidence or []
            if ev.get("source") == "remote_sensing" and ev.get("record_id") in pass_ids
        )
        # The case decides: released with it while the evidence is unconfirmed, else a review task.
        for outcome, ident in signals.answers(
            signals.listing_evidence_withdrawn, "blacklist", entry=entry, pass_ids=withdrawn, why=why, actor=actor
        ):
            out[outcome].append(ident)
    return out


def withdrawal_json(w: EvidenceWithdrawal) -> dict[str, Any]:
    return WithdrawalOut.model_validate(w).model_dump(mode="json")
