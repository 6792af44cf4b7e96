"""Remote-sensing passes: parse, judge, match and store a batch (flush, never commit).

Passes are stored set-wise: one query for the batch's stations, one for its plates, one bulk insert
into the key table `pass_keys` with ON CONFLICT (station_id, record_id) DO NOTHING (unpartitioned, so
the key holds whatever month a pass falls in), then one COPY of the new passes with the ids their keys
got. Keys the insert skipped (a retry, or a concurrent post of the same batch) are read back and
answered as stored, marked `duplicate` (same payload hash) or `conflict` (another one).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from functools import cache
from operator import attrgetter
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, tuple_

from plates import MatchResult, normalize_plate
from remote_sensing import (
    NoLimitSetError,
    PassRecord,
    Verdict,
    judge_pass,
    parse_canonical,
)
from remote_sensing.types import MEASUREMENT_FLOATS
from vehicle_enforce import signals
from vehicle_enforce.auth.models import Department
from vehicle_enforce.core import audit, batch, bulk, metrics, tasks
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.bulk import insert_ignore_conflicts
from vehicle_enforce.core.errors import Forbidden, Invalid
from vehicle_enforce.core.inputs import column_length, text_problem, text_problems
from vehicle_enforce.core.timeutil import local_day, now_utc, to_local
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.models import (
    Device,
    EvidenceLink,
    PassKey,
    PlateStatus,
    RemoteSensingPass,
    Station,
    StationKind,
)
from vehicle_enforce.inspections.posting import (
    FUTURE_TOLERANCE,
    match_fields,
    verdict_json,
)
from vehicle_enforce.inspections.rules import RulesBook, region
from vehicle_enforce.inspections.schemas import MAX_BATCH, PassOut
from vehicle_enforce.reviews import queue as review_queue
from vehicle_enforce.signals import VerdictEvent
from vehicle_enforce.vehicles.matching import match_many

MEASUREMENTS = (*MEASUREMENT_FLOATS, "ringelmann")
PASS_STATION_KINDS = frozenset({StationKind.remote_sensing.value})


# --------------------------------------------------------------------------------------------------
# Remote-sensing passes


@dataclass
class PassIn:
    """One pass of a batch, parsed (record) or refused (error), with its photos and optional device.

    `error` is the batch item error (`core/batch.error`); `fields` names every problem found (the
    single-record answer lists them all). `payload_sha256` identifies the content as posted.
    """

    index: int
    record: PassRecord | None = None
    error: dict[str, Any] | None = None
    station_raw: str | None = None
    device: str | None = None
    uploads: list[evidence.Upload] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    payload_sha256: str | None = None


def refuse(index: int, field_name: str, problem: str, station: str | None = None, *, code: str | None = None) -> PassIn:
    err = batch.error(field_name, code, problem) if code else batch.error_from_problem(field_name, problem)
    return PassIn(index, error=err, station_raw=station, fields={field_name: err["message"]})


#: Text fields of a posted pass → the column each is stored in (their lengths are the limits).
PASS_TEXT_COLUMNS: dict[str, Any] = {
    "station": Station.code,
    "record_id": RemoteSensingPass.record_id,
    "lane": RemoteSensingPass.lane,
    "plate": RemoteSensingPass.plate,
    "fuel": RemoteSensingPass.fuel,
    "device_verdict": RemoteSensingPass.device_verdict,
    "device": Device.code,
}
PHOTO_NAME_LENGTH = column_length(EvidenceLink.name)


@cache
def _pass_text_limits() -> dict[str, int]:
    limits = {name: column_length(column) for name, column in PASS_TEXT_COLUMNS.items()}
    return {name: limit for name, limit in limits.items() if limit is not None}


def _pass_text_problem(data: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(field, code, detail) for the first text that cannot be stored: hidden characters, or longer
    than its column (the plate as it will be stored, i.e. normalised). Flat and cheap: it runs on
    every pass of a 10,000-pass batch."""
    limits = _pass_text_limits()
    for name, value in data.items():
        if isinstance(value, str):
            hidden = text_problem(value)
            if hidden is not None:
                return str(name), hidden[0], ""
            limit = limits.get(name)
            if limit is not None and len(value) > limit:
                stored = normalize_plate(value) if name == "plate" else value.strip()
                if len(stored) > limit:
                    return str(name), "too_long", f"at most {limit} characters"
        elif isinstance(value, int) and not isinstance(value, bool):
            limit = limits.get(name)
            if limit is not None and len(str(value)) > limit:
                return str(name), "too_long", f"at most {limit} characters"
        elif isinstance(value, list | dict):
            found = text_problems(value, str(name))
            if found:
                path, (code, _msg) = next(iter(found.items()))
                return path, code, ""
        if not isinstance(name, str) or text_problem(name) is not None:
            return "$", "control_character", ""
    photos = data.get("photos")
    for i, photo in enumerate(photos if isinstance(photos, list) else []):
        photo_name = photo.get("name") if isinstance(photo, dict) else photo
        if isinstance(photo_name, str) and PHOTO_NAME_LENGTH and len(photo_name.strip()) > PHOTO_NAME_LENGTH:
            return f"photos.{i}", "too_long", f"at most {PHOTO_NAME_LENGTH} characters"
    return None


def parse_pass(index: int, data: Any, uploads: Sequence[evidence.Upload] = ()) -> PassIn:
    """Validate one posted pass (canonical JSON; photos as names or {"name", "content_base64"})."""
    if not isinstance(data, dict):
        return refuse(index, "$", "must be an object", code="invalid")
    data = dict(data)
    station_raw = data.get("station") if isinstance(data.get("station"), str) else None
    text_problem = _pass_text_problem(data)
    if text_problem is not None:
        field, code, detail = text_problem
        return refuse(index, field, detail or code, station_raw if field != "station" else None, code=code)
    device = data.pop("device", None)
    if isinstance(device, int) and not isinstance(device, bool):
        device = str(device)  # devices send their codes as numbers or text
    if device is not None and (not isinstance(device, str) or not device.strip()):
        return refuse(index, "device", "must be a non-empty string or null", station_raw, code="not_a_string")
    files = list(uploads)
    names: list[str] = []
    photos = data.pop("photos", None) or []
    if not isinstance(photos, list):
        return refuse(index, "photos", "must be a list", station_raw, code="invalid")
    for i, photo in enumerate(photos):
        if isinstance(photo, str):
            names.append(photo)
            continue
        if not isinstance(photo, dict) or set(photo) - {"name", "content_base64"}:
            return refuse(
                index, f"photos.{i}", 'must be a file name or {"name", "content_base64"}', station_raw, code="invalid"
            )
        name, content = photo.get("name"), photo.get("content_base64")
        if not isinstance(name, str) or not name.strip():
            return refuse(index, f"photos.{i}.name", "is required", station_raw)
        if not isinstance(content, str):
            return refuse(index, f"photos.{i}.content_base64", "is required", station_raw)
        raw = evidence.decode_base64(content)
        if raw is None or not raw:
            return refuse(index, f"photos.{i}.content_base64", "is not base64 data", station_raw, code="invalid")
        files.append(evidence.Upload(name.strip(), raw))
    data["photos"] = names + [f.name for f in files]
    parsed = parse_canonical(data)
    if isinstance(parsed, list):
        first = parsed[0]
        return PassIn(
            index,
            error=batch.error_from_problem(first.field, first.problem),
            station_raw=station_raw,
            fields={e.field: e.problem for e in parsed},
        )
    device = device.strip() if device else None
    return PassIn(
        index,
        record=parsed,
        station_raw=station_raw,
        device=device,
        uploads=files,
        payload_sha256=_pass_hash(parsed, device, files),
    )


def _record_too_long(rec: PassRecord) -> tuple[str, str] | None:
    """(field, problem) for the first text of a parsed record (any reader) its column cannot hold."""
    for name, column in PASS_TEXT_COLUMNS.items():
        value = getattr(rec, name, None)
        if not isinstance(value, str):
            continue
        stored = normalize_plate(value) if name == "plate" else value
        limit = column_length(column)
        if limit is not None and len(stored) > limit:
            return name, f"at most {limit} characters"
        hidden = text_problems(stored)
        if hidden:
            return name, next(iter(hidden.values()))[0].replace("_", " ")
    return None


def _pass_hash(rec: PassRecord, device: str | None, files: Sequence[evidence.Upload]) -> str:
    """The pass as posted, canonical: parsed values (so 1 and "1", "Z" and "+00:00" agree), the device
    and the photos' content."""

    payload = rec.to_canonical()
    payload["measured_at"] = rec.measured_at.astimezone(UTC).isoformat()
    payload["device"] = device
    payload["photo_sha256"] = [hashlib.sha256(f.content).hexdigest() for f in files]
    return batch.payload_hash(payload)


def pass_result(index: int, row: Any, station_code: str, *, duplicate: bool) -> dict[str, Any]:
    """The per-pass answer (same shape for a new pass and for a retried one)."""
    return {
        "index": index,
        "status": batch.DUPLICATE if duplicate else batch.CREATED,
        "id": row["id"],
        "station": station_code,
        "record_id": row["record_id"],
        "measured_at": to_local(row["measured_at"]).isoformat(),
        "verdict": row["verdict"],
        "exceeded": row["exceeded"],
        "invalid_reasons": row["invalid_reasons"],
        "limit_set": row["limit_set"],
        "plate": row["plate"],
        "plate_color": row["plate_color"],
        "plate_status": row["plate_status"],
        "vehicle_id": row["vehicle_id"],
        "match_decision": row["match_decision"],
        "duplicate": duplicate,
    }


RESULT_COLUMNS = (
    "id",
    "station_id",
    "record_id",
    "measured_at",
    "verdict",
    "exceeded",
    "invalid_reasons",
    "limit_set",
    "plate",
    "plate_color",
    "plate_status",
    "vehicle_id",
    "match_decision",
)


def _existing(keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """Stored passes by (station_id, record_id), 1,000 keys per query."""
    wanted = list(keys)
    cols = [getattr(RemoteSensingPass, c) for c in (*RESULT_COLUMNS, "payload_sha256")]
    found: dict[tuple[int, str], dict[str, Any]] = {}
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        by_station: dict[int, list[str]] = {}
        for sid, rid in chunk:
            by_station.setdefault(sid, []).append(rid)
        cond = or_(*(and_(PassKey.station_id == sid, PassKey.record_id.in_(rids)) for sid, rids in by_station.items()))
        # Found through the key table (one index, whatever the month), then the pass by id; on PostgreSQL
        # with its time too, so each partition answers from its primary key (id, measured_at). (SQLite's
        # bulk path stores times without microseconds, the key table's insert with: compared by id only.)
        on = RemoteSensingPass.id == PassKey.id
        if postgresql:
            on = and_(on, RemoteSensingPass.measured_at == PassKey.measured_at)
        stmt = select(*cols).join_from(PassKey, RemoteSensingPass, on)
        for row in db.session.execute(stmt.where(cond)).mappings():
            found[(row["station_id"], row["record_id"])] = dict(row)
    return found


def _check_station_scope(items: Sequence[PassIn], actor: Actor, stations: dict[str, Station]) -> None:
    """A station token may post only for its own station; anything else refuses the whole request."""
    if actor.department != Department.station:
        return
    own = db.session.get(Station, actor.station_id) if actor.station_id else None
    for item in items:
        code = item.record.station if item.record is not None else item.station_raw
        if code is None:
            continue
        if own is None or code != own.code:
            what = "an unknown station" if code not in stations else f"station {code}"
            raise Forbidden(
                f"this token belongs to {own.code if own else 'no station'} and may not post for {what}",
                {f"passes.{item.index}.station": "not this token's station"},
            )


def store_passes(
    items: Sequence[PassIn], *, actor: Actor, reread_threshold: float | None = None
) -> list[dict[str, Any]]:
    """Judge, match and store a batch of passes for `actor`; answer one result per item in input order."""
    if len(items) > MAX_BATCH:
        raise Invalid(f"at most {MAX_BATCH} passes per request", {"passes": f"more than {MAX_BATCH} items"})
    threshold = (
        float(current_app.config.get("PLATE_CONFIDENCE_THRESHOLD", 0.8))
        if reread_threshold is None
        else reread_threshold
    )
    codes = {i.record.station for i in items if i.record is not None} | {i.station_raw for i in items if i.station_raw}
    stations = {s.code: s for s in db.session.scalars(select(Station).where(Station.code.in_(codes)))} if codes else {}
    _check_station_scope(items, actor, stations)

    devices: dict[tuple[int, str], Device] = {}
    wanted_devices = {
        (stations[i.record.station].id, i.device)
        for i in items
        if i.record and i.device and i.record.station in stations
    }
    if wanted_devices:
        for d in db.session.scalars(
            select(Device).where(tuple_(Device.station_id, Device.code).in_([tuple(k) for k in wanted_devices]))
        ):
            devices[(d.station_id, d.code)] = d

    results: list[dict[str, Any] | None] = [None] * len(items)
    latest = now_utc() + FUTURE_TOLERANCE
    candidates: list[tuple[PassIn, Station, Device | None]] = []
    keys: list[tuple[int, str]] = []  # (station id, record id) of each candidate
    for pos, item in enumerate(items):
        if item.record is None:
            results[pos] = batch.invalid(item.index, item.error or batch.error("$", "invalid"))
            continue
        rec = item.record
        station = stations.get(rec.station)
        problem: tuple[str, str] | None = _record_too_long(rec)
        device = None
        if item.payload_sha256 is None:  # records from file readers: hashed here
            item.payload_sha256 = _pass_hash(rec, item.device, item.uploads)
        if problem is not None:
            pass
        elif station is None:
            problem = ("station", "unknown station")
        elif station.kind not in PASS_STATION_KINDS:
            problem = ("station", f"station {station.code} is not a remote-sensing station")
        elif rec.measured_at > latest:
            problem = ("measured_at", "is more than 10 minutes in the future")
        elif item.device is not None:
            device = devices.get((station.id, item.device))
            if device is None:
                problem = ("device", f"unknown device at station {station.code}")
        if problem is not None:
            results[pos] = batch.invalid(
                item.index, batch.error_from_problem(problem[0], problem[1]), record_id=rec.record_id
            )
            continue
        assert station is not None
        candidates.append((item, station, device))
        keys.append((station.id, rec.record_id))

    # Stored passes are found by the insert itself (ON CONFLICT skips them) and read back afterwards,
    # so a fresh batch costs no lookup; a retried one is judged again but answered from storage.
    stored: dict[tuple[int, str], dict[str, Any]] = {}
    positions = {id(item): pos for pos, item in enumerate(items)}

    book = RulesBook()
    area = region()
    created_at = now_utc()  # one time for the batch: stored together
    measurements = attrgetter(*MEASUREMENTS)
    rows: list[dict[str, Any]] = []
    new_items: list[tuple[PassIn, Station]] = []
    first_of_key: dict[tuple[int, str], int] = {}
    for (item, station, device), key in zip(candidates, keys, strict=True):
        if key in first_of_key:
            continue  # the same record twice in one batch: answered from the first
        assert item.record is not None
        rec = item.record
        day = local_day(rec.measured_at)
        calibrated = (station.calibration_valid_until is None or station.calibration_valid_until >= day) and (
            device is None or device.calibration_valid_until is None or device.calibration_valid_until >= day
        )
        try:
            verdict = _judge(rec, book, day, calibrated, area)
        except NoLimitSetError:
            results[positions[id(item)]] = batch.invalid(
                item.index, batch.error("measured_at", "no_limit_set"), record_id=rec.record_id
            )
            continue
        first_of_key[key] = len(rows)
        plate = normalize_plate(rec.plate)
        reread = bool(item.uploads) and rec.plate_confidence is not None and rec.plate_confidence < threshold
        rows.append(
            {
                "station_id": station.id,
                "device_id": device.id if device else None,
                "record_id": rec.record_id,
                "measured_at": rec.measured_at,
                "lane": rec.lane,
                "plate": plate,
                "plate_color": rec.plate_color,
                "plate_confidence": rec.plate_confidence,
                "plate_status": PlateStatus.pending.value if (not plate or reread) else None,
                "vehicle_id": None,
                "match_decision": "pending" if (not plate or reread) else None,
                "fuel": rec.fuel,
                **dict(zip(MEASUREMENTS, measurements(rec), strict=True)),
                "device_valid": rec.device_valid,
                "device_verdict": rec.device_verdict,
                "verdict": verdict.verdict,
                "limit_set": verdict.limit_set,
                "exceeded": verdict_json(verdict),
                "invalid_reasons": list(verdict.invalid_reasons),
                "photo_names": list(rec.photos),
                "payload_sha256": item.payload_sha256,
                "created_at": created_at,
            }
        )
        new_items.append((item, station))

    to_match = [r for r in rows if r["plate_status"] is None]
    results_by_row: dict[int, MatchResult] = {}
    for row, result in zip(to_match, match_many([(r["plate"], r["plate_color"]) for r in to_match]), strict=True):
        row.update(match_fields(result))
        results_by_row[id(row)] = result

    # The key table first: its unique (station, record id) holds across the passes' month partitions, and
    # a concurrent post of the same key waits here for the first to commit. Its ids are the passes' ids.
    inserted = insert_ignore_conflicts(
        PassKey.__table__,
        [{k: r[k] for k in ("station_id", "record_id", "measured_at", "payload_sha256")} for r in rows],
        ["station_id", "record_id"],
        returning=("id", "station_id", "record_id"),
    )
    ids = {(sid, rid): pid for pid, sid, rid in inserted}
    bulk.insert_rows(
        RemoteSensingPass.__table__,
        [{"id": ids[(r["station_id"], r["record_id"])], **r} for r in rows if (r["station_id"], r["record_id"]) in ids],
    )
    raced = [(r["station_id"], r["record_id"]) for r in rows if (r["station_id"], r["record_id"]) not in ids]
    if raced:  # stored before (a retry) or by a concurrent request: answer from storage as duplicates
        stored.update(_existing(raced))

    uploads: list[tuple[str, int, evidence.Upload]] = []
    verdict_events: list[VerdictEvent] = []
    stored_events: list[tuple[int, dict[str, Any], str]] = []
    fresh_rows: dict[tuple[int, str], dict[str, Any]] = {}
    for row, (item, station) in zip(rows, new_items, strict=True):
        key = (row["station_id"], row["record_id"])
        pid = ids.get(key)
        if pid is None:
            continue
        row["id"] = pid
        fresh_rows[key] = row
        uploads.extend(("remote_sensing_pass", pid, up) for up in item.uploads)
        stored_events.append((pid, _event_payload(row, station.code), station.code))
        if row["vehicle_id"] is not None:
            verdict_events.append(
                VerdictEvent(
                    "remote_sensing",
                    pid,
                    row["vehicle_id"],
                    row["measured_at"],
                    row["verdict"],
                    row["verdict"] != "invalid",
                )
            )
        if row["plate_status"] == PlateStatus.pending.value and item.uploads:
            tasks.run_later("inspections.read_plate", pass_id=pid)
    evidence.store(uploads)
    review_queue.queue_many(
        [
            review_queue.review_of("remote_sensing_pass", row, row["measured_at"], results_by_row.get(id(row)))
            for row in fresh_rows.values()
            if row["match_decision"] in review_queue.DOUBTFUL
            and review_queue.counts("remote_sensing_pass", row["verdict"])
        ]
    )
    signals.send_records("remote_sensing_pass", stored_events)
    # The batch's export rows go in now, not while the listing rule holds vehicle locks.
    signals.bulk_writes_due.send("inspections")
    signals.send_verdicts("inspections", verdict_events)

    code_by_id = {s.id: s.code for s in stations.values()}
    counted: set[tuple[int, str]] = set()
    for (item, _station, _device), key in zip(candidates, keys, strict=True):
        pos = positions[id(item)]
        if results[pos] is not None:
            continue
        kept = fresh_rows.get(key) or stored.get(key)
        if kept is None:  # a duplicate of a batch item that was itself refused
            results[pos] = batch.invalid(item.index, batch.error("record_id", "repeats_refused"), record_id=key[1])
        elif kept.get("payload_sha256") not in (None, item.payload_sha256):
            results[pos] = {
                "index": item.index,
                "status": batch.CONFLICT,
                "id": kept["id"],
                "record_id": key[1],
                "error": batch.error("record_id", "conflict"),
            }
        elif key in fresh_rows and key not in counted:
            results[pos] = pass_result(item.index, kept, code_by_id[key[0]], duplicate=False)
            counted.add(key)
        else:
            results[pos] = pass_result(item.index, kept, code_by_id[key[0]], duplicate=True)

    summary = {
        "stored": len(fresh_rows),
        "duplicate": sum(1 for r in results if r and r.get("status") == batch.DUPLICATE),
        "conflict": sum(1 for r in results if r and r.get("status") == batch.CONFLICT),
        "rejected": sum(1 for r in results if r and r.get("status") == batch.INVALID),
        "stations": sorted({code_by_id[r["station_id"]] for r in fresh_rows.values()}),
    }
    if fresh_rows:
        audit.record("remote_sensing.store_passes", "remote_sensing_pass", None, summary, actor=actor)
    answered = [r for r in results if r is not None]
    metrics.passes_received((r["status"] for r in answered), (row["verdict"] for row in fresh_rows.values()))
    return answered


def _judge(rec: PassRecord, book: RulesBook, day: Any, calibrated: bool, area: str) -> Verdict:
    return judge_pass(rec, book.on(day), calibrated=calibrated, region=area or None)


def _event_payload(row: dict[str, Any], station_code: str) -> dict[str, Any]:
    payload = {k: row[k] for k in ("record_id", "plate", "plate_color", "verdict", "exceeded", "invalid_reasons")}
    payload.update(
        {
            "station": station_code,
            "measured_at": row["measured_at"].isoformat(),
            "vehicle_id": row["vehicle_id"],
            "values": {name: row[name] for name in MEASUREMENTS if row[name] is not None},
        }
    )
    return payload


def pass_json(p: RemoteSensingPass, photos: list[dict[str, object]] | None = None) -> dict[str, Any]:
    """A stored pass as the API writes it (`PassOut`; `PassDetail` with its photos)."""
    data = PassOut.model_validate(p).model_dump(mode="json")
    if photos is not None:
        data["photos"] = photos
    return data
