"""The listing rule, manual listing and release (flush, never commit).

The rule runs on every new verdict in the storing transaction (a `signals.verdicts_stored` receiver,
connected by `blacklist.wiring`). It is race-free: the vehicles concerned are locked
(`SELECT ... FOR UPDATE` on PostgreSQL) before their evidence is counted, so two stations reporting the
same vehicle at the same moment are serialised and the second sees the first's pass and entry; a
partial unique index (one active entry per vehicle) is the last guard.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select

from vehicle_enforce import signals
from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.blacklist.schemas import EntryOut, ManualListing, Release
from vehicle_enforce.core import actors, audit, metrics
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Invalid, NotFound
from vehicle_enforce.core.timeutil import SHANGHAI, format_local, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import rules as inspection_rules
from vehicle_enforce.inspections.models import (
    ITEM_UNITS,
    ITEM_ZH,
    BlackSmokeCapture,
    RemoteSensingPass,
    RoadsideTest,
    Station,
    WithdrawnPass,
    limit_set_zh,
)
from vehicle_enforce.signals import VerdictEvent
from vehicle_enforce.vehicles.models import Vehicle

#: Who lists by the rule: the system (entries say `listed_by` "system"; the audit line keeps the request id
#: of the post whose verdicts triggered it).
RULE = actors.SYSTEM
EXCEEDING_SOURCES = ("remote_sensing", "black_smoke")
TEST_SOURCES = ("roadside", "spot_check")


def _lock_vehicles(vehicle_ids: Sequence[int]) -> None:
    """Serialise the listing rule per vehicle (PostgreSQL; SQLite serialises writers anyway).

    FOR NO KEY UPDATE, not FOR UPDATE: the caller has already inserted rows that reference these
    vehicles, and each such insert holds a FOR KEY SHARE lock on its vehicle. FOR UPDATE conflicts with
    KEY SHARE, so two requests for one vehicle would each wait for the other's insert (a deadlock);
    NO KEY UPDATE conflicts only with itself, which is the serialisation the rule needs.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = select(Vehicle.id).where(Vehicle.id.in_(sorted(vehicle_ids))).with_for_update(key_share=True)
        db.session.execute(stmt)


def active_entries(vehicle_ids: Sequence[int]) -> dict[int, BlacklistEntry]:
    if not vehicle_ids:
        return {}
    rows = db.session.scalars(
        select(BlacklistEntry).where(
            BlacklistEntry.vehicle_id.in_(list(vehicle_ids)), BlacklistEntry.status == "active"
        )
    )
    return {e.vehicle_id: e for e in rows}


def _number(value: Any) -> str:
    """A measured value as people write it: 0.8266666667 → 0.8267, 1128.0 → 1128."""
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)


def _describe(item: dict[str, Any]) -> str:
    code = str(item.get("item"))
    name, unit = ITEM_ZH.get(code, code), ITEM_UNITS.get(code, "")
    # Any: float() of a missing (None) or non-numeric value raises, and that is handled below.
    value: Any = item.get("value")
    limit: Any = item.get("limit")
    try:
        over = f"，超出 {float(value) - float(limit):.4g}{unit}"
    except (TypeError, ValueError):
        over = ""
    return f"{name} {_number(value)}{unit}，超过限值 {_number(limit)}{unit}{over}"


def _evidence_of_pass(p: RemoteSensingPass, station: Station) -> dict[str, Any]:
    return {
        "source": "remote_sensing",
        "record_id": p.id,
        "match_decision": p.match_decision,
        "device_record_id": p.record_id,
        "measured_at": p.measured_at.isoformat(),
        "station": station.code,
        "station_name": station.name,
        "exceeded": p.exceeded,
        "limit_set": p.limit_set,
        "text": f"{format_local(p.measured_at, '%Y-%m-%d %H:%M')} 在{station.name}（{station.code}）遥感检测："
        + "；".join(_describe(i) for i in p.exceeded),
    }


def _evidence_of_capture(c: BlackSmokeCapture, station: Station) -> dict[str, Any]:
    return {
        "source": "black_smoke",
        "record_id": c.id,
        "match_decision": c.match_decision,
        "measured_at": c.captured_at.isoformat(),
        "station": station.code,
        "station_name": station.name,
        "exceeded": [{"item": "ringelmann", "value": c.ringelmann, "limit": 1}],
        "limit_set": c.limit_set,
        "text": f"{format_local(c.captured_at, '%Y-%m-%d %H:%M')} 在{c.site or station.name}黑烟抓拍（已人工审核）："
        f"林格曼黑度 {c.ringelmann} 级，超过限值 1 级",
    }


def _evidence_of_test(t: RoadsideTest, station: Station) -> dict[str, Any]:
    kind = "入户抽测" if t.kind == "spot_check" else "路检"
    items = "；".join(_describe(i) for i in t.exceeded) or "检测不合格"
    return {
        "source": t.kind,
        "record_id": t.id,
        "match_decision": t.match_decision,
        "report_number": t.report_number,
        "measured_at": t.tested_at.isoformat(),
        "station": station.code,
        "station_name": station.name,
        "exceeded": t.exceeded,
        "limit_set": t.limit_set,
        "text": f"{format_local(t.tested_at, '%Y-%m-%d %H:%M')} 在{station.name}（{station.code}）{kind}"
        f"（报告 {t.report_number}，{limit_set_zh(t.limit_set)}）：{items}",
    }


def on_verdicts(batch: Sequence[VerdictEvent]) -> None:
    """Listing rule and automatic release, run for every batch of new verdicts."""
    counted = [e for e in batch if e.valid and e.verdict in ("exceed", "fail")]
    candidates = sorted({e.vehicle_id for e in counted if e.source in EXCEEDING_SOURCES + TEST_SOURCES})
    # Every valid I站 result or roadside test may decide a repaired vehicle's retest, passing or failing.
    retests = [e for e in batch if e.valid and e.source in ("inspection", "roadside")]
    retested = {e.vehicle_id for e in retests}
    # A listed vehicle cannot be listed again (one active entry per vehicle, a unique index) and only a
    # retest changes it, so its exceedances need no lock: once a county's list is built, most exceeding
    # passes are listed trucks, and stations reporting them must not queue behind each other. (If a
    # release commits after this unlocked read, the next verdict for the vehicle counts these passes:
    # the rule always recounts from what is stored.)
    listed = active_entries([v for v in candidates if v not in retested])
    candidates = [v for v in candidates if v not in listed]
    involved = sorted(set(candidates) | retested)
    if not involved:
        return
    _lock_vehicles(involved)
    entries = active_entries(involved)
    retested_entries = [(entries[e.vehicle_id], e) for e in retests if e.vehicle_id in entries]
    if retested_entries:  # the case decides what a retest of its listed vehicle means
        signals.listing_retested.send("blacklist", retests=retested_entries)
    to_check = [v for v in candidates if v not in entries]
    if not to_check:
        return
    checking = set(to_check)
    by_vehicle: dict[int, list[VerdictEvent]] = defaultdict(list)
    for event in counted:
        if event.vehicle_id in checking:
            by_vehicle[event.vehicle_id].append(event)
    rules = inspection_rules.rules_on(local_day(now_utc())).blacklist
    _list_by_tests(to_check, by_vehicle, rules.roadside_fail_lists)
    listed_by_tests = active_entries(to_check)  # once for the batch, not once per vehicle
    remaining = [v for v in to_check if v not in listed_by_tests]
    _list_by_repeats(remaining, by_vehicle, rules.min_exceeding_passes, rules.window_days)


def _list_by_tests(vehicle_ids: list[int], by_vehicle: dict[int, list[VerdictEvent]], enabled: bool) -> None:
    if not enabled:
        return
    test_ids = [e.record_id for v in vehicle_ids for e in by_vehicle[v] if e.source in TEST_SOURCES]
    if not test_ids:
        return
    tests = db.session.execute(
        select(RoadsideTest, Station)
        .join(Station, Station.id == RoadsideTest.station_id)
        .where(RoadsideTest.id.in_(test_ids))
    ).all()
    done: set[int] = set()
    new: list[NewEntry] = []
    for test, station in sorted(tests, key=lambda r: r[0].tested_at):
        if test.vehicle_id in done or test.vehicle_id is None:
            continue
        done.add(test.vehicle_id)
        evidence = [_evidence_of_test(test, station)]
        kind = "入户抽测" if test.kind == "spot_check" else "路检"
        reason = f"{kind}不合格即列入黑名单。{evidence[0]['text']}"
        new.append(NewEntry(test.vehicle_id, "rule", "roadside_fail", reason, evidence, RULE.name))
    _create_entries(new, actor=RULE)


def _list_by_repeats(
    vehicle_ids: list[int], by_vehicle: dict[int, list[VerdictEvent]], minimum: int, window_days: int
) -> None:
    """List when `minimum` exceeding valid observations fall on different days at most `window_days` apart.

    Days are calendar days in Asia/Shanghai of the observations' own times (never today's date), so
    back-filled passes count where they belong. Observations before the vehicle's last release were
    dealt with by that case and do not count again. Confirmed black-smoke captures count like passes.
    Only the times are read for every vehicle; the full records (for the evidence) only for vehicles
    that are listed. Observations older than the window before now are stored and judged but open no
    case: a listing must rest on evidence recent enough to act on.
    """
    if not vehicle_ids:
        return
    # Days, like the window: the first day that still counts is `window_days` before today (Beijing).
    cutoff = datetime.combine(local_day(now_utc()) - timedelta(days=window_days), time.min, SHANGHAI)
    cutoff -= timedelta(microseconds=1)
    newest = max(e.measured_at for v in vehicle_ids for e in by_vehicle[v])
    oldest = min(e.measured_at for v in vehicle_ids for e in by_vehicle[v])
    start, end = oldest - timedelta(days=window_days + 1), newest + timedelta(days=window_days + 1)
    released: dict[int, datetime] = {
        vehicle_id: at
        for vehicle_id, at in db.session.execute(
            select(BlacklistEntry.vehicle_id, func.max(BlacklistEntry.released_at))
            .where(
                BlacklistEntry.vehicle_id.in_(vehicle_ids),
                BlacklistEntry.status == "released",
                # A listing released because its evidence was withdrawn dealt with nothing: the vehicle's
                # other observations still count.
                or_(BlacklistEntry.release_kind.is_(None), BlacklistEntry.release_kind != "withdrawn"),
            )
            .group_by(BlacklistEntry.vehicle_id)
        )
        if at is not None
    }
    times: dict[int, list[datetime]] = defaultdict(list)
    for vehicle_id, at in db.session.execute(
        _exceeding_passes(
            select(RemoteSensingPass.vehicle_id, RemoteSensingPass.measured_at), vehicle_ids, start, end
        ).union_all(
            _confirmed_captures(
                select(BlackSmokeCapture.vehicle_id, BlackSmokeCapture.captured_at), vehicle_ids, start, end
            )
        )
    ):
        times[vehicle_id].append(at)
    since = {v: max(released[v], cutoff) if v in released else cutoff for v in vehicle_ids}
    listed = [v for v in vehicle_ids if _first_window(_days_after(times[v], since[v]), minimum, window_days)]
    if not listed:
        return
    # Each new case names its vehicle: load them in one query (held here, so the identity map keeps
    # them) instead of one lazy load per listing.
    vehicles = db.session.scalars(select(Vehicle).where(Vehicle.id.in_(listed))).all()
    observations: dict[int, list[tuple[datetime, dict[str, Any]]]] = defaultdict(list)
    passes = _exceeding_passes(select(RemoteSensingPass, Station), listed, start, end)
    for p, station in db.session.execute(passes.join(Station, Station.id == RemoteSensingPass.station_id)):
        observations[p.vehicle_id].append((p.measured_at, _evidence_of_pass(p, station)))
    captures = _confirmed_captures(select(BlackSmokeCapture, Station), listed, start, end)
    for c, station in db.session.execute(captures.join(Station, Station.id == BlackSmokeCapture.station_id)):
        observations[c.vehicle_id].append((c.captured_at, _evidence_of_capture(c, station)))
    new: list[NewEntry] = []
    for vehicle_id in listed:
        by_day: dict[date, dict[str, Any]] = {}
        for at, observed in sorted(observations[vehicle_id], key=lambda o: o[0]):
            if at > since[vehicle_id]:
                by_day.setdefault(local_day(at), observed)
        window = _first_window(by_day, minimum, window_days) or []
        evidence = [by_day[d] for d in window]
        reason = f"{window_days}天内{minimum}个不同日期的有效检测超标，列入黑名单。" + " ".join(
            f"{n + 1}. {e['text']}。" for n, e in enumerate(evidence)
        )
        new.append(NewEntry(vehicle_id, "rule", "remote_sensing_repeat", reason, evidence, RULE.name))
    _create_entries(new, actor=RULE)
    del vehicles


def _exceeding_passes(
    stmt: Select[*tuple[Any, ...]], vehicle_ids: list[int], start: datetime, end: datetime
) -> Select[*tuple[Any, ...]]:
    withdrawn = select(WithdrawnPass.pass_id).where(WithdrawnPass.pass_id == RemoteSensingPass.id).exists()
    return stmt.where(
        RemoteSensingPass.vehicle_id.in_(vehicle_ids),
        RemoteSensingPass.verdict == "exceed",
        RemoteSensingPass.measured_at.between(start, end),
        ~withdrawn,  # withdrawn evidence (a faulty device) stays stored but counts toward nothing
    )


def _confirmed_captures(
    stmt: Select[*tuple[Any, ...]], vehicle_ids: list[int], start: datetime, end: datetime
) -> Select[*tuple[Any, ...]]:
    return stmt.where(
        BlackSmokeCapture.vehicle_id.in_(vehicle_ids),
        BlackSmokeCapture.review_status == "confirmed",
        BlackSmokeCapture.verdict == "exceed",
        BlackSmokeCapture.captured_at.between(start, end),
        BlackSmokeCapture.withdrawal_id.is_(None),  # withdrawn evidence counts toward nothing
    )


def still_holds(vehicle_id: int, minimum: int, window_days: int) -> bool:
    """Whether the repeat rule still lists a vehicle on the evidence that counts now (after a withdrawal):
    valid exceeding passes and confirmed captures, after its last release and inside the window."""
    cutoff = datetime.combine(local_day(now_utc()) - timedelta(days=window_days), time.min, SHANGHAI)
    released = db.session.scalar(
        select(func.max(BlacklistEntry.released_at)).where(
            BlacklistEntry.vehicle_id == vehicle_id, BlacklistEntry.status == "released"
        )
    )
    since = max(released, cutoff) if released is not None else cutoff
    end = now_utc() + timedelta(days=1)
    times = [
        at
        for (at,) in db.session.execute(
            _exceeding_passes(select(RemoteSensingPass.measured_at), [vehicle_id], since, end).union_all(
                _confirmed_captures(select(BlackSmokeCapture.captured_at), [vehicle_id], since, end)
            )
        )
    ]
    return _first_window(_days_after(times, since), minimum, window_days) is not None


def _first_window(days: Iterable[date], minimum: int, window_days: int) -> list[date] | None:
    """The first `minimum` different days at most `window_days` apart, or None."""
    ordered = sorted(set(days))
    for i in range(len(ordered) - minimum + 1):
        window = ordered[i : i + minimum]
        if (window[-1] - window[0]).days <= window_days:
            return window
    return None


def _days_after(times: Iterable[datetime], since: datetime | None) -> set[date]:
    return {local_day(at) for at in times if since is None or at > since}


#: Added to the reason of a listing whose evidence rests on a near (probable) plate match.
PROBABLE_NOTE = "注意：证据中的号牌为近似匹配（可能误识别），须经人工核对号牌确认后，案件方可确认。"


def evidence_match(evidence: Sequence[dict[str, Any]]) -> str:
    """`probable` when any piece of evidence names the vehicle only through a near plate match."""
    return "probable" if any(e.get("match_decision") == "probable" for e in evidence) else "exact"


@dataclass(frozen=True)
class NewEntry:
    vehicle_id: int
    kind: str  # rule | manual
    rule: str | None
    reason: str
    evidence: list[dict[str, Any]]
    listed_by: str


def _create_entry(
    vehicle_id: int, kind: str, rule: str | None, reason: str, evidence: list[dict[str, Any]], listed_by: str
) -> BlacklistEntry:
    """One listing made by the rule (tests seed rule listings with it)."""
    return _create_entries([NewEntry(vehicle_id, kind, rule, reason, evidence, listed_by)], actor=RULE)[0]


def _create_entries(new: Sequence[NewEntry], *, actor: Actor) -> list[BlacklistEntry]:
    """List vehicles set-wise: the entries, their audit lines, feed events and cases in one INSERT per table.

    A batch of passes can list hundreds of vehicles while the rule holds their locks; a flush per
    entry would cost several database round trips for each. The cases open through
    `signals.vehicle_listed`, sent once for the set.
    """
    if not new:
        return []
    listed_at = now_utc()
    entries = [
        BlacklistEntry(
            vehicle_id=n.vehicle_id,
            status="active",
            kind=n.kind,
            rule=n.rule,
            reason=n.reason + PROBABLE_NOTE if evidence_match(n.evidence) == "probable" else n.reason,
            evidence=n.evidence,
            evidence_match=evidence_match(n.evidence),
            listed_by=n.listed_by,
            listed_at=listed_at,
        )
        for n in new
    ]
    db.session.add_all(entries)
    db.session.flush()
    audit.record_many(
        [
            ("blacklist.list", "blacklist_entry", e.id, {"vehicle_id": e.vehicle_id, "kind": e.kind, "rule": e.rule})
            for e in entries
        ],
        actor=actor,
    )
    signals.send_records("blacklist_listing", [(entry.id, entry_json(entry), None) for entry in entries])
    signals.vehicle_listed.send("blacklist", entries=entries, actor=actor)
    metrics.vehicles_listed(entry.kind for entry in entries)
    return entries


def list_manually(data: ManualListing, *, actor: Actor) -> BlacklistEntry:
    """List a vehicle by hand (by id, or by plate and colour) for `actor`, with the reason given."""
    vehicle_id = data.vehicle_id or _vehicle_by_plate(data.plate, data.plate_color)
    if not data.reason.strip():
        raise Invalid("a reason is required", {"reason": "required"})
    if db.session.get(Vehicle, vehicle_id) is None:
        raise NotFound(f"vehicle {vehicle_id} not found", {"vehicle_id": "unknown vehicle"})
    _lock_vehicles([vehicle_id])
    if active_entries([vehicle_id]):
        raise Conflict("the vehicle is already on the blacklist", {"vehicle_id": "already listed"})
    new = NewEntry(vehicle_id, "manual", None, f"人工列入：{data.reason.strip()}", [], actor.name)
    return _create_entries([new], actor=actor)[0]


def _vehicle_by_plate(plate: str | None, colour: str | None) -> int:
    if not plate or not colour:
        raise Invalid("give vehicle_id, or plate and plate_color", {"vehicle_id": "required"})
    vehicle_id = db.session.scalar(select(Vehicle.id).where(Vehicle.plate == plate, Vehicle.plate_color == colour))
    if vehicle_id is None:
        raise NotFound("no registered vehicle with that plate and colour", {"plate": "unknown vehicle"})
    return int(vehicle_id)


def release(entry: BlacklistEntry, kind: str, reason: str, *, actor: Actor) -> BlacklistEntry:
    """Release an active entry (history kept) for `actor`; the caller closes the case."""
    if entry.status != "active":
        raise Conflict("the entry is already released", {"entry": "released"})
    if not reason.strip():
        raise Invalid("a reason is required", {"reason": "required"})
    entry.status = "released"
    entry.released_at = now_utc()
    entry.released_by = actor.name
    entry.release_kind = kind
    entry.release_reason = reason.strip()
    db.session.flush()
    audit.record(
        "blacklist.release", "blacklist_entry", entry.id, {"kind": kind, "reason": entry.release_reason}, actor=actor
    )
    signals.send_record("blacklist_release", entry.id, entry_json(entry))
    return entry


def release_manually(entry_id: int, data: Release, *, actor: Actor) -> BlacklistEntry:
    entry = db.session.get(BlacklistEntry, entry_id)
    if entry is None or not scope.acts_on_listing(entry_id, actor):  # another county's: as a missing one
        raise NotFound(f"blacklist entry {entry_id} not found")
    _lock_vehicles([entry.vehicle_id])
    db.session.refresh(entry)
    release(entry, "manual", data.reason, actor=actor)
    signals.listing_released.send(
        "blacklist", entry=entry, action="manual_release", fields={"reason": data.reason}, actor=actor
    )
    return entry


def entry_json(entry: BlacklistEntry) -> dict[str, Any]:
    """The entry as the API, the change feed and the pages show it (declared once by EntryOut)."""
    return EntryOut.model_validate(entry).model_dump(mode="json")


def vehicle_history(vehicle_id: int, viewer: Actor) -> dict[str, Any]:
    entries = db.session.scalars(
        select(BlacklistEntry).where(BlacklistEntry.vehicle_id == vehicle_id).order_by(BlacklistEntry.id)
    )
    own = _viewers_station(viewer)
    return {"blacklist": [entry_for_station(entry_json(e), own) for e in entries]}


OTHER_STATION_REASON = "列入依据含其他站点的检测记录，详情请向生态环境部门查询"
#: What a station sees of another station's evidence: when and what was exceeded, not where or by whom.
OTHER_STATION_KEEP = ("source", "measured_at", "exceeded", "limit_set")


def _viewers_station(viewer: Actor) -> str | None:
    """The viewing station's code; None when the viewer is not a station (it sees every evidence text)."""
    if viewer.department != Department.station:
        return None
    station = db.session.get(Station, viewer.station_id) if viewer.station_id else None
    return station.code if station is not None else ""


def entry_for_station(data: dict[str, Any], station_code: str | None) -> dict[str, Any]:
    """An entry as a station sees it: another station's evidence loses its text, place and record ids."""
    if station_code is None:
        return data
    evidence = []
    for item in data.get("evidence") or []:
        if item.get("station") == station_code:
            evidence.append(item)
        else:
            evidence.append({**{k: item.get(k) for k in OTHER_STATION_KEEP}, "other_station": True})
    if any(e.get("other_station") for e in evidence):
        data = {**data, "evidence": evidence, "reason": OTHER_STATION_REASON}
    return data
