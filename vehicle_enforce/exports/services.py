"""Transmission rate, reconciliation, resending and daily files (flush, never commit)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from flask import current_app
from sqlalchemy import case, func, select

from vehicle_enforce.auth.models import County
from vehicle_enforce.core import audit, metrics
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, NotFound
from vehicle_enforce.core.spreadsheets import to_csv_bytes, to_xlsx_bytes
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.exports import formats
from vehicle_enforce.exports.models import ExportRecord
from vehicle_enforce.exports.outbox import targets
from vehicle_enforce.exports.schemas import RecordOut, ResendIn
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import Station


def _rate(acknowledged: int, due: int) -> float | None:
    return None if due == 0 else round(acknowledged / due, 4)


def status(since: date, until: date, target: str | None = None, *, county_id: int | None = None) -> dict[str, Any]:
    """Acknowledged / due per day, per station, per county and per record type, with the alarm below the
    threshold. `county_id`: only the records of that county's stations (a county caller's report)."""
    threshold = float(current_app.config.get("TRANSMISSION_RATE_THRESHOLD", 0.95))
    acked = func.sum(case((ExportRecord.status == "acknowledged", 1), else_=0))
    base = select(func.count(), acked).where(ExportRecord.due_day >= since, ExportRecord.due_day <= until)
    if target:
        base = base.where(ExportRecord.target == target)
    if county_id is not None:
        base = base.where(ExportRecord.station.in_(select(Station.code).where(Station.county_id == county_id)))

    def grouped(*columns: Any) -> list[dict[str, Any]]:
        rows = db.session.execute(base.add_columns(*columns).group_by(*columns).order_by(*columns)).all()
        out = []
        for due, ack, *keys in rows:
            rate = _rate(int(ack or 0), int(due))
            item = {c.key: (k.isoformat() if isinstance(k, date) else k) for c, k in zip(columns, keys, strict=True)}
            out.append(
                {
                    **item,
                    "due": int(due),
                    "acknowledged": int(ack or 0),
                    "rate": rate,
                    "alarm": rate is not None and rate < threshold,
                }
            )
        return out

    total_due, total_ack = db.session.execute(base).one()
    total_rate = _rate(int(total_ack or 0), int(total_due))
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "threshold": threshold,
        "total": {
            "due": int(total_due),
            "acknowledged": int(total_ack or 0),
            "rate": total_rate,
            "alarm": total_rate is not None and total_rate < threshold,
        },
        "by_day": grouped(ExportRecord.due_day),
        "by_station": grouped(ExportRecord.station),
        "by_county": by_county(base, threshold),
        "by_kind": grouped(ExportRecord.kind),
        "by_target": grouped(ExportRecord.target),
    }


def by_county(base: Any, threshold: float) -> list[dict[str, Any]]:
    """The rate per county of the records' stations (the station's county; none for records of none)."""
    stmt = (
        base.add_columns(County.code, County.name)
        .outerjoin(Station, Station.code == ExportRecord.station)
        .outerjoin(County, County.id == Station.county_id)
        .group_by(County.code, County.name)
        .order_by(County.code)
    )
    out = []
    for due, ack, code, name in db.session.execute(stmt).all():
        rate = _rate(int(ack or 0), int(due))
        out.append(
            {
                "county_code": code,
                "county": name,
                "due": int(due),
                "acknowledged": int(ack or 0),
                "rate": rate,
                "alarm": rate is not None and rate < threshold,
            }
        )
    return out


#: Records not yet acknowledged or refused for good: what the sender still has to get through.
BACKLOG_STATUSES = ("pending", "sent", "failed")


def metric_readings() -> list[metrics.Reading]:
    """/metrics gauges: the backlog per target and status, and the transmission rate per target over the
    last 7 days (Beijing), as the transmission page shows it by default."""
    out: list[metrics.Reading] = []
    backlog = db.session.execute(
        select(ExportRecord.target, ExportRecord.status, func.count())
        .where(ExportRecord.status.in_(BACKLOG_STATUSES))
        .group_by(ExportRecord.target, ExportRecord.status)
    ).all()
    doc = "Export records not yet acknowledged, per target platform and status"
    out += [metrics.Reading("ve_export_backlog", doc, {"target": t, "status": s}, n) for t, s, n in backlog]
    until = local_day(now_utc())
    acked = func.sum(case((ExportRecord.status == "acknowledged", 1), else_=0))
    window = db.session.execute(
        select(ExportRecord.target, func.count(), acked)
        .where(ExportRecord.due_day >= until - timedelta(days=6), ExportRecord.due_day <= until)
        .group_by(ExportRecord.target)
    ).all()
    for target, due, ack in window:
        rate = _rate(int(ack or 0), int(due))
        if rate is not None:
            doc = "Export transmission rate (acknowledged / due) per target, records due in the last 7 days"
            out.append(metrics.Reading("ve_export_transmission_rate", doc, {"target": target}, rate))
    return out


def missing(day: date, target: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Reconciliation: records due on `day` that the platform has not acknowledged."""
    stmt = select(ExportRecord).where(ExportRecord.due_day == day, ExportRecord.status != "acknowledged")
    if target:
        stmt = stmt.where(ExportRecord.target == target)
    return [record_json(r) for r in db.session.scalars(stmt.order_by(ExportRecord.id).limit(limit))]


def resend(record_id: int, data: ResendIn, *, actor: Actor) -> ExportRecord:
    """Queue a rejected or failed record again (after a person fixed its cause), audited as `actor`."""
    note = data.note
    record = db.session.get(ExportRecord, record_id)
    if record is None:
        raise NotFound(f"export record {record_id} not found")
    if record.status not in ("rejected", "failed"):
        raise Conflict(
            f"record is '{record.status}'; only rejected or failed records are resent",
            {"status": "only failed or rejected records are resent"},
        )
    previous = record.status
    record.status, record.attempts, record.last_error = "pending", 0, None
    record.next_attempt_at = func.now()
    audit.record("export.resend", "export_record", record.id, {"from": previous, "note": note}, actor=actor)
    return record


def resend_failed(data: ResendIn, *, actor: Actor, target: str | None = None) -> list[ExportRecord]:
    """Queue again every record that failed all its retries (network, platform down); audited per record.

    Rejected records are left alone: the platform refused their content, so a person fixes and resends
    each one.
    """
    stmt = select(ExportRecord.id).where(ExportRecord.status == "failed").order_by(ExportRecord.id)
    if target:
        stmt = stmt.where(ExportRecord.target == target)
    return [resend(record_id, data, actor=actor) for record_id in db.session.scalars(stmt).all()]


def record_json(r: ExportRecord) -> dict[str, Any]:
    """A record as the API writes it (`RecordOut`)."""
    return RecordOut.model_validate(r).model_dump(mode="json")


def daily_files(day: date, out_dir: Path, target: str = "provincial", version: int | None = None) -> list[Path]:
    """Write one CSV (UTF-8 with BOM) and one XLSX per record type due on `day` for file-based platforms,
    in the target's format version (`formats.version_of`; `version` overrides it)."""
    if version is None:
        version = formats.version_of(targets().get(target, {}))
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = db.session.scalars(
        select(ExportRecord).where(ExportRecord.due_day == day, ExportRecord.target == target).order_by(ExportRecord.id)
    ).all()
    written: list[Path] = []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    details = formats.details_for(rows) if version == 2 else {}
    for r in rows:
        by_kind.setdefault(r.kind, []).append(_file_row_v2(r, details) if version == 2 else _file_row_v1(r))
    for kind, items in sorted(by_kind.items()):
        frame = _frame(items)
        stem = out_dir / f"{day.isoformat()}_{kind}"
        csv_path, xlsx_path = stem.with_suffix(".csv"), stem.with_suffix(".xlsx")
        csv_path.write_bytes(to_csv_bytes(frame))
        xlsx_path.write_bytes(to_xlsx_bytes({kind[:31]: frame}))
        written += [csv_path, xlsx_path]
    return written


def _frame(items: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows as a frame of object columns: ids stay integers when a column has gaps (pandas would infer
    floats and write 8.0)."""
    columns = list(dict.fromkeys(key for item in items for key in item))
    return pd.DataFrame({c: pd.Series([item.get(c) for item in items], dtype=object) for c in columns})


def _file_row_v1(r: ExportRecord) -> dict[str, Any]:
    """Version 1's row, kept as its readers know it: nested values as Python's repr text, `occurred_at` in
    UTC beside the payload's own times (docs/export-protocol.md, "Version 1's known defects")."""
    flat = {"idempotency_key": r.idempotency_key, "station": r.station, "occurred_at": r.occurred_at.isoformat()}
    flat.update({k: v if not isinstance(v, dict | list) else str(v) for k, v in r.payload.items()})
    return flat


def _file_row_v2(r: ExportRecord, details: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """Version 2's row: the envelope and the data's top-level fields in the platform's names, nested values
    as JSON text."""
    record = formats.record_v2(r, details.get((r.kind, r.object_id)))
    payload_name = formats.PAYLOAD_NAME
    data = record.pop(payload_name)
    return {k: formats.json_text(v) for k, v in {**record, **data}.items()}
