"""Station health for the environment inbox: silent stations, failed device self-checks, calibrations ending.

* Silent: an automatic station (remote sensing, black-smoke camera) that has sent nothing for
  STATION_SILENT_MINUTES while inside its operating hours (STATION_OPERATING_HOURS, Beijing time,
  [start hour, end hour)). A station that never sent anything is silent since it was created.
* Self-check failed: passes of the last 24 hours whose device reported itself not valid.
* Calibration: a station's or device's calibration that ends within 30 days (or has ended).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from vehicle_enforce.core.timeutil import SHANGHAI, format_local, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import BlackSmokeCapture, Device, RemoteSensingPass, Station, StationKind

AUTOMATIC = (StationKind.remote_sensing.value, StationKind.black_smoke.value)
CALIBRATION_WARNING_DAYS = 30
DEFAULT_SILENT_MINUTES = 120
DEFAULT_OPERATING_HOURS = (7, 19)


def _settings() -> tuple[int, tuple[int, int]]:
    minutes = int(current_app.config.get("STATION_SILENT_MINUTES") or DEFAULT_SILENT_MINUTES)
    hours = current_app.config.get("STATION_OPERATING_HOURS") or DEFAULT_OPERATING_HOURS
    return minutes, (int(hours[0]), int(hours[1]))


def _operating_since(now: datetime, hours: tuple[int, int]) -> datetime | None:
    """When today's operating hours began (Beijing time), or None when `now` is outside them."""
    local = now.astimezone(SHANGHAI)
    start, end = hours
    if not start <= local.hour < end:
        return None
    return local.replace(hour=start, minute=0, second=0, microsecond=0)


def station_health(now: datetime | None = None) -> list[dict[str, Any]]:
    """Stations with a problem and what it is, in plain Chinese; healthy stations are left out."""
    now = now or now_utc()
    minutes, hours = _settings()
    stations = db.session.scalars(select(Station).order_by(Station.code)).all()
    if not stations:
        return []
    last: dict[int, datetime] = dict(
        db.session.execute(
            select(RemoteSensingPass.station_id, func.max(RemoteSensingPass.measured_at)).group_by(
                RemoteSensingPass.station_id
            )
        ).all()
    )
    for station_id, at in db.session.execute(
        select(BlackSmokeCapture.station_id, func.max(BlackSmokeCapture.captured_at)).group_by(
            BlackSmokeCapture.station_id
        )
    ):
        if station_id not in last or at > last[station_id]:
            last[station_id] = at
    failed = dict(
        db.session.execute(
            select(RemoteSensingPass.station_id, func.count())
            .where(
                RemoteSensingPass.device_valid.is_(False), RemoteSensingPass.measured_at >= now - timedelta(hours=24)
            )
            .group_by(RemoteSensingPass.station_id)
        ).all()
    )
    devices: dict[int, list[Device]] = {}
    for device in db.session.scalars(select(Device).order_by(Device.code)):
        devices.setdefault(device.station_id, []).append(device)
    today = local_day(now)
    warn_until = today + timedelta(days=CALIBRATION_WARNING_DAYS)
    opened = _operating_since(now, hours)
    out = []
    for station in stations:
        problems: list[dict[str, Any]] = []
        if station.kind in AUTOMATIC and opened is not None:
            seen = last.get(station.id)
            # Quiet time counts from the later of the last record (or the station's creation) and the start
            # of today's operating hours: the night does not make a station silent at opening time.
            quiet_since = max(seen or station.created_at, opened)
            if now - quiet_since >= timedelta(minutes=minutes):
                since = format_local(seen, "%Y-%m-%d %H:%M") if seen else "从未上传"
                problems.append(
                    {
                        "code": "silent",
                        "message": f"运营时段内已超过 {minutes} 分钟未上传数据（最后一条：{since}）",
                        "last_record_at": seen.isoformat() if seen else None,
                    }
                )
        if failed.get(station.id):
            problems.append(
                {
                    "code": "self_check_failed",
                    "message": f"近24小时有 {failed[station.id]} 条记录的设备自检未通过",
                    "count": int(failed[station.id]),
                }
            )
        for name, until in [("站点", station.calibration_valid_until)] + [
            (f"设备 {d.code}", d.calibration_valid_until) for d in devices.get(station.id, [])
        ]:
            if until is None or until > warn_until:
                continue
            verb = "已于" if until < today else "将于"
            text = f"{name}检定/校准{verb} {until.isoformat()} 到期"
            problems.append({"code": "calibration_expiring", "message": text, "valid_until": until.isoformat()})
        if problems:
            out.append({"station": station.code, "name": station.name, "kind": station.kind, "problems": problems})
    return out


def inbox_sections(department: str) -> dict[str, Any]:
    if department not in ("environment", "admin"):
        return {}
    return {"station_health": station_health()}
