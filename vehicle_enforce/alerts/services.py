"""Alerts in force, the restriction each vehicle or machine is under, gate reports (flush, never commit).

Measures per level are data (`measures.json`, overridable by ALERT_MEASURES_FILE). Where alerts
overlap, the strictest level in force wins. Alert boundaries are given in Asia/Shanghai local time and
stored in UTC; an alert "ending at midnight" ends at 00:00 local of the next day.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select

from plates import normalize_plate
from vehicle_enforce import signals
from vehicle_enforce.alerts.models import Alert, EnterpriseGrade, GateRecord
from vehicle_enforce.alerts.schemas import AlertAction, AlertIn, AlertOut, GateIn, GradeIn
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.bulk import insert_ignore_conflicts
from vehicle_enforce.core.errors import Conflict, Invalid, NotFound
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.reviews import queue as review_queue
from vehicle_enforce.vehicles.matching import match_many
from vehicle_enforce.vehicles.models import Owner, Vehicle

LEVELS = ("blue", "yellow", "orange", "red")
LEVEL_ZH = {"blue": "蓝色", "yellow": "黄色", "orange": "橙色", "red": "红色"}
STANDARD_ZH = "〇一二三四五六"


def measures() -> dict[str, Any]:
    path = current_app.config.get("ALERT_MEASURES_FILE") or Path(__file__).with_name("measures.json")
    loaded: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return loaded


def issue(data: AlertIn, *, actor: Actor) -> Alert:
    """Issue an alert for the county (or the listed townships), audited as `actor`."""
    level, starts_at, ends_at, notice_no = data.level, data.starts_at, data.ends_at, data.notice_no
    if level not in LEVELS:
        raise Invalid("unknown level", {"level": "blue, yellow, orange or red"})
    if ends_at <= starts_at:
        raise Invalid("an alert must end after it starts", {"ends_at": "after starts_at"})
    if notice_no is not None and len(notice_no) > 64:
        raise Invalid("the notice number is longer than 64 characters", {"notice_no": "at most 64 characters"})
    alert = Alert(
        level=level,
        townships=data.townships,
        starts_at=starts_at,
        ends_at=ends_at,
        issued_by=actor.name,
        notice_no=notice_no or None,
        history=[{"action": "issue", "level": level, "by": actor.name, "at": now_utc().isoformat()}],
    )
    db.session.add(alert)
    db.session.flush()
    audit.record(
        "alert.issue",
        "alert",
        alert.id,
        {"level": level, "starts_at": starts_at, "ends_at": ends_at, "notice_no": alert.notice_no},
        actor=actor,
    )
    return alert


def act(alert_id: int, data: AlertAction, *, actor: Actor) -> Alert:
    """Extend, upgrade or lift an alert in force, audited as `actor`."""
    action, level, ends_at = data.action, data.level, data.ends_at
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    now = now_utc()
    if alert.lifted_at is not None or (alert.ends_at <= now and action != "extend"):
        raise Conflict("the alert is no longer in force", {"action": "alert ended"})
    if action == "extend":
        if ends_at is None or ends_at <= alert.ends_at:
            raise Invalid("extend needs a later end", {"ends_at": "later than the current end"})
        alert.ends_at = ends_at
    elif action == "upgrade":
        if level not in LEVELS or LEVELS.index(level) <= LEVELS.index(alert.level):
            raise Invalid("upgrade needs a higher level", {"level": "higher than the current level"})
        alert.level = level
    elif action == "lift":
        alert.lifted_at = now
        alert.ends_at = min(alert.ends_at, now)
    else:
        raise Invalid("unknown action", {"action": "extend, upgrade or lift"})
    alert.history = [
        *alert.history,
        {
            "action": action,
            "level": alert.level,
            "ends_at": alert.ends_at.isoformat(),
            "by": actor.name,
            "at": now.isoformat(),
        },
    ]
    audit.record(f"alert.{action}", "alert", alert.id, {"level": alert.level, "ends_at": alert.ends_at}, actor=actor)
    return alert


# Built once: every hotlist check asks for the alerts in force.
_IN_FORCE = select(Alert).where(Alert.starts_at <= bindparam("at"), Alert.ends_at > bindparam("at"))


def set_grade(data: GradeIn, *, actor: Actor) -> EnterpriseGrade:
    """Set a key enterprise's grade (A/B/C) and daily truck trips, audited."""
    owner_id, grade, daily_truck_trips = data.owner_id, data.grade, data.daily_truck_trips
    if db.session.get(Owner, owner_id) is None:
        raise Invalid("unknown enterprise", {"owner_id": "unknown owner"})
    row = db.session.scalar(select(EnterpriseGrade).where(EnterpriseGrade.owner_id == owner_id))
    if row is None:
        row = EnterpriseGrade(owner_id=owner_id, grade=grade, daily_truck_trips=daily_truck_trips)
        db.session.add(row)
    row.grade, row.daily_truck_trips = grade, daily_truck_trips
    db.session.flush()
    changes = {"owner_id": owner_id, "grade": grade, "daily_truck_trips": daily_truck_trips}
    audit.record("alert.grade", "enterprise_grade", row.id, changes, actor=actor)
    return row


def in_force(at: datetime) -> list[Alert]:
    return [a for a in db.session.scalars(_IN_FORCE, {"at": at}) if a.lifted_at is None or a.lifted_at > at]


def strictest(alerts: Sequence[Alert], township_id: int | None) -> Alert | None:
    applicable = [a for a in alerts if a.townships is None or township_id in (a.townships or [])]
    return max(applicable, key=lambda a: LEVELS.index(a.level), default=None)


@dataclass(frozen=True)
class Facts:
    vehicle_type: str | None
    fuel: str | None
    emission_standard: int | None
    plate_color: str | None
    township_id: int | None
    grade: str | None
    daily_trips: int | None


def _road_restriction(facts: Facts, alert: Alert, data: dict[str, Any]) -> dict[str, Any] | None:
    """A level's road restriction (`road_vehicles` in the measures: trucks kept off the roads), or None.

    Police penalise it on the alert's notice (`notice_no`); the shipped measures have none (the plan's
    vehicle measures bind enterprises), a county that publishes one adds it to its measures file.
    """
    rule = data["levels"][alert.level].get("road_vehicles")
    if not rule or facts.vehicle_type not in rule["types"] or facts.fuel not in rule["fuels"]:
        return None
    if facts.emission_standard is None or facts.emission_standard > rule["max_standard"]:
        return None
    standard = STANDARD_ZH[rule["max_standard"]]
    notice = f"（{alert.notice_no}）" if alert.notice_no else "（未登记通告文号）"
    return {
        "alert_id": alert.id,
        "level": alert.level,
        "measure": f"{alert.level} road: {','.join(rule['fuels'])} {','.join(rule['types'])} <= {rule['max_standard']}",
        "description_zh": f"{LEVEL_ZH[alert.level]}预警期间，国{standard}及以下重型货车禁止上路行驶{notice}",
        "ends_at": alert.ends_at.isoformat(),
        "road_restriction": True,
        "notice_no": alert.notice_no,
    }


def restriction(facts: Facts, alerts: Sequence[Alert]) -> dict[str, Any] | None:
    """The measure that restricts this vehicle under the strictest alert in force, or None.

    A road restriction (police act on it) comes before an enterprise measure (advice at a checkpoint):
    `road_restriction` says which it is.
    """
    alert = strictest(alerts, facts.township_id)
    if alert is None:
        return None
    data = measures()
    exempt = data["exempt"]
    if facts.fuel in exempt["fuels"] or facts.vehicle_type in exempt["vehicle_types"]:
        return None
    if facts.plate_color in exempt["plate_colors"]:
        return None
    road = _road_restriction(facts, alert, data)
    if road is not None:
        return road
    rule = data["levels"][alert.level].get("vehicles")
    if not rule:
        return None
    if facts.vehicle_type not in rule["types"] or facts.fuel not in rule["fuels"]:
        return None
    if facts.emission_standard is None or facts.emission_standard > rule["max_standard"]:
        return None
    if facts.grade in rule.get("exempt_grades", []):
        return None
    if (facts.daily_trips or 0) < rule.get("enterprise_min_trips", 0):
        return None
    level_zh = LEVEL_ZH[alert.level]
    standard = STANDARD_ZH[rule["max_standard"]]
    return {
        "alert_id": alert.id,
        "level": alert.level,
        "measure": f"{alert.level}: {','.join(rule['fuels'])} {','.join(rule['types'])} <= {rule['max_standard']}",
        "description_zh": f"{level_zh}预警期间，国{standard}及以下重型货车停止运输（A级企业除外）",
        "ends_at": alert.ends_at.isoformat(),
        "road_restriction": False,
        "notice_no": alert.notice_no,
    }


def nrmm_stage_restricted(stage: int | None, township_id: int | None, at: datetime) -> dict[str, Any] | None:
    alert = strictest(in_force(at), township_id)
    if alert is None:
        return None
    max_stage = measures()["levels"][alert.level].get("nrmm_max_stage")
    if max_stage is None or stage is None or stage > max_stage:
        return None
    return {
        "alert_id": alert.id,
        "level": alert.level,
        "description_zh": f"{LEVEL_ZH[alert.level]}预警期间，国{STANDARD_ZH[max_stage]}及以下非道路移动机械停止使用",
    }


def _facts(vehicle_ids: Sequence[int]) -> dict[int, Facts]:
    if not vehicle_ids:
        return {}
    rows = db.session.execute(
        select(
            Vehicle.id,
            Vehicle.vehicle_type,
            Vehicle.fuel,
            Vehicle.emission_standard,
            Vehicle.plate_color,
            Vehicle.township_id,
            EnterpriseGrade.grade,
            EnterpriseGrade.daily_truck_trips,
        )
        .outerjoin(EnterpriseGrade, EnterpriseGrade.owner_id == Vehicle.owner_id)
        .where(Vehicle.id.in_(list(vehicle_ids)))
    ).all()
    return {r[0]: Facts(*r[1:]) for r in rows}


def hotlist_restrictions(reads: Sequence[Any], vehicle_ids: Sequence[int | None]) -> list[dict[str, Any] | None]:
    """Hotlist hook: the restriction for each read (one query for alerts, one for the vehicles)."""
    alerts = in_force(now_utc())
    if not alerts:
        return [None] * len(reads)
    facts = _facts([v for v in vehicle_ids if v is not None])
    return [restriction(facts[v], alerts) if v is not None and v in facts else None for v in vehicle_ids]


def record_gate(data: GateIn) -> tuple[int, int]:
    """Store gate records idempotently on (enterprise, plate, direction, time); return (stored, duplicates).

    Each new record is matched to the registry (colour-strict, misread-tolerant); a doubtful match
    (ambiguous or probable) of a record made while an alert was in force is queued for a person.
    One INSERT ... ON CONFLICT DO NOTHING: a retry, or the same records posted twice at once, store
    each record once and never fail on the unique key. Only the rows stored now are matched and sighted.
    """

    if db.session.get(Owner, data.owner_id) is None:
        raise Invalid("unknown enterprise", {"owner_id": "unknown owner"})
    owner_id, rows = data.owner_id, [r.model_dump() for r in data.records]
    values = [{"owner_id": owner_id, **row} for row in rows]
    inserted = insert_ignore_conflicts(
        GateRecord.__table__, values, ["owner_id", "plate", "direction", "at"], returning=("id",)
    )
    if inserted:
        added = list(db.session.scalars(select(GateRecord).where(GateRecord.id.in_([i for (i,) in inserted]))))
        _match_gate(added)
        db.session.flush()
        _gate_sightings(owner_id, [{c: getattr(g, c) for c in rows[0]} for g in added])
    return len(inserted), len(rows) - len(inserted)


def _match_gate(records: Sequence[GateRecord]) -> None:

    matches = match_many([(r.plate, r.plate_color) for r in records])
    for record, match in zip(records, matches, strict=True):
        chosen = match.match
        record.vehicle_id = chosen.vehicle_id if chosen is not None else None
        record.match_decision = match.decision
    db.session.flush()
    start, end = min(r.at for r in records), max(r.at for r in records)
    alerts = db.session.scalars(select(Alert).where(Alert.starts_at <= end, Alert.ends_at > start)).all()

    def during_alert(at: datetime) -> bool:
        return any(a.starts_at <= at < a.ends_at and (a.lifted_at is None or a.lifted_at > at) for a in alerts)

    review_queue.queue_many(
        [
            review_queue.review_of("gate_record", record, record.at, match)
            for record, match in zip(records, matches, strict=True)
            if match.decision in review_queue.DOUBTFUL and during_alert(record.at)
        ]
    )


def _gate_sightings(owner_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """A gate record of a vehicle the registry holds as scrapped, deregistered or phased out raises
    the seen-again alert (exact plate and colour: a gate record is linked to no vehicle otherwise)."""

    wanted = {(normalize_plate(r["plate"]), r["plate_color"]) for r in rows}
    plates = sorted({p for p, _ in wanted if p})
    if not plates:
        return
    found = {
        (plate, colour): vid
        for vid, plate, colour in db.session.execute(
            select(Vehicle.id, Vehicle.plate, Vehicle.plate_color).where(
                Vehicle.plate.in_(plates), Vehicle.status != "active"
            )
        )
    }
    if not found:
        return
    owner = db.session.get(Owner, owner_id)
    where = f"{owner.name}门禁" if owner is not None else "企业门禁"
    sightings = [
        (found[(normalize_plate(r["plate"]), r["plate_color"])], r["at"], "gate", where)
        for r in rows
        if (normalize_plate(r["plate"]), r["plate_color"]) in found
    ]
    signals.vehicle_seen.send("alerts", sightings=sightings)


def gate_report(alert: Alert) -> list[dict[str, Any]]:
    """Restricted trucks that entered or left a key enterprise while the alert was in force.

    A record without an emission standard is judged by the registered vehicle's standard (and its
    fuel and type when the record lacks them). A truck the registry does not hold, or whose standard
    nobody knows, is listed as such: it may be restricted, and the report must not hide it.
    """
    rows = db.session.scalars(
        select(GateRecord)
        .where(GateRecord.at >= alert.starts_at, GateRecord.at < alert.ends_at)
        .order_by(GateRecord.at)
    ).all()
    grades = {g.owner_id: g for g in db.session.scalars(select(EnterpriseGrade))}
    ids = sorted({r.vehicle_id for r in rows if r.vehicle_id is not None})
    vehicles = {v.id: v for v in db.session.scalars(select(Vehicle).where(Vehicle.id.in_(ids)))} if ids else {}
    out = []
    for r in rows:
        g = grades.get(r.owner_id)
        vehicle = vehicles.get(r.vehicle_id) if r.vehicle_id is not None else None
        standard, source = r.emission_standard, "gate" if r.emission_standard is not None else None
        if standard is None and vehicle is not None and vehicle.emission_standard is not None:
            standard = vehicle.emission_standard
            source = "registry_inferred" if vehicle.emission_standard_inferred else "registry"
        fuel = r.fuel or (vehicle.fuel if vehicle is not None else None)
        vehicle_type = r.vehicle_type or (vehicle.vehicle_type if vehicle is not None else None) or "heavy_truck"
        base = {
            "owner_id": r.owner_id,
            "plate": r.plate,
            "plate_color": r.plate_color,
            "direction": "进厂" if r.direction == "in" else "出厂",
            "at": r.at.isoformat(),
            "emission_standard": standard,
            "standard_source": source,
            "registered": vehicle is not None,
            "vehicle_id": vehicle.id if vehicle is not None else None,
            "match_decision": r.match_decision,
        }
        if standard is None:
            if vehicle is None:
                measure = "未登记车辆：闸口记录无排放标准，登记库中无此车（或号牌待人工核对），请核查是否为受限车辆"
            else:
                measure = "登记车辆排放标准不明，请核查是否为受限车辆"
            out.append({**base, "measure": measure})
            continue
        facts = Facts(
            vehicle_type,
            fuel,
            standard,
            r.plate_color,
            None,
            g.grade if g else None,
            g.daily_truck_trips if g else None,
        )
        found = restriction(facts, [alert])
        if found is not None:
            measure = found["description_zh"]
            if source in ("registry", "registry_inferred"):
                measure += "（排放标准取自车辆登记库）"
            if r.match_decision == "probable":
                measure += "（号牌为近似匹配，待人工核对）"
            out.append({**base, "measure": measure})
    return out


def alert_json(a: Alert) -> dict[str, Any]:
    """An alert as the API writes it (`AlertOut`)."""
    return AlertOut.model_validate(a).model_dump(mode="json")
