"""Demo records for inspections: a month of remote-sensing passes, roadside tests, captures and a repair."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from vehicle_enforce.core import actors
from vehicle_enforce.core.timeutil import SHANGHAI, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import captures, passes, repairs, roadside
from vehicle_enforce.inspections.schemas import CaptureIn, RepairIn, RoadsideTestIn
from vehicle_enforce.vehicles.models import Vehicle

PASSES_PER_STATION = 600
DEMO = actors.system("cli:demo")


def _when(rng: random.Random, days: int = 30) -> datetime:
    start = now_utc().astimezone(SHANGHAI).replace(hour=6, minute=0, second=0, microsecond=0) - timedelta(days=days)
    return start + timedelta(days=rng.randrange(days), minutes=rng.randrange(14 * 60))


def _pass(rng: random.Random, station: str, i: int, plate: str, colour: str) -> dict[str, Any]:
    dirty = rng.random() < 0.25  # a quarter of the trucks smoke
    unread = rng.random() < 0.03
    return {
        "station": station,
        "record_id": f"{station}-{i:06d}",
        "measured_at": _when(rng).isoformat(),
        "lane": str(rng.randint(1, 2)),
        "plate": "无车牌" if unread else plate,
        "plate_color": "unknown" if unread else colour,
        "plate_confidence": round(rng.uniform(0.82, 0.99), 2),
        "fuel": "diesel",
        "speed_kmh": round(rng.uniform(8, 95), 1),
        "accel_ms2": round(rng.uniform(-1.2, 1.8), 2),
        "vsp_kw_t": round(rng.uniform(0.5, 19), 1),
        "wind_ms": round(rng.uniform(0, 4.5), 1),
        "temperature_c": round(rng.uniform(-8, 12), 1),
        "humidity_pct": float(rng.randint(20, 80)),
        "pressure_kpa": round(rng.uniform(88, 92), 1),
        "co2_pct": round(rng.uniform(1.5, 11), 2),
        "co_pct": round(rng.uniform(0.01, 0.5), 3),
        "hc_ppm": float(rng.randint(20, 200)),
        "no_ppm": float(rng.randint(1200, 2400) if dirty else rng.randint(100, 1300)),
        "opacity_pct": round(rng.uniform(25, 70) if dirty else rng.uniform(0, 28), 1),
        "ringelmann": rng.choice([1, 2, 3]) if dirty else rng.choice([0, 0, 1]),
        "device_valid": rng.random() > 0.05,
        "photos": [f"{station}-{i:06d}_1.jpg", f"{station}-{i:06d}_2.jpg"],
    }


def load(rng: random.Random) -> None:
    """Passes at both remote-sensing sites, tests at the roadside station and depot, a capture queue."""
    trucks = db.session.execute(
        select(Vehicle.plate, Vehicle.plate_color).where(Vehicle.fuel == "diesel", Vehicle.plate_color == "yellow")
    ).all()
    if not trucks:
        return
    for station in ("JC-RS-01", "JC-RS-02"):
        items = []
        for i in range(PASSES_PER_STATION):
            plate, colour = rng.choice(trucks)
            items.append(passes.parse_pass(i, _pass(rng, station, i, plate, colour)))
        passes.store_passes(items, actor=DEMO)
    for i in range(40):
        plate, colour = rng.choice(trucks)
        method = rng.choice(["free_acceleration", "lug_down", "ringelmann", "obd"])
        readings_by_method: dict[str, dict[str, Any]] = {
            "free_acceleration": {"k_readings": [round(rng.uniform(0.2, 1.4), 2) for _ in range(4)]},
            "lug_down": {"k": round(rng.uniform(0.2, 1.0), 2), "nox_ppm": float(rng.randint(300, 1200))},
            "ringelmann": {"ringelmann": rng.choice([0, 1, 1, 2])},
            "obd": {
                "mil_on": rng.random() < 0.2,
                "fault_codes": ["P2463"] if rng.random() < 0.2 else [],
                "readiness_ok": rng.random() > 0.1,
                "tampering": rng.random() < 0.05,
            },
        }
        readings = readings_by_method[method]
        kind = "spot_check" if i % 4 == 0 else "roadside"
        roadside.record_test(
            RoadsideTestIn.model_validate(
                {
                    "station": "JC-SC-01" if kind == "spot_check" else "JC-RD-01",
                    "report_number": f"ZZ{'RH' if kind == 'spot_check' else 'LJ'}{i:06d}",  # 泽州 入户 / 路检
                    "kind": kind,
                    "method": method,
                    "tested_at": _when(rng),
                    "plate": plate,
                    "plate_color": colour,
                    "readings": readings,
                    "operator": "环境局执法员",
                }
            ),
            actor=DEMO,
        )
    for i in range(12):
        plate, colour = rng.choice(trucks)
        captures.record_capture(
            CaptureIn.model_validate(
                {
                    "station": "JC-RD-01",
                    "capture_id": f"ZZHY{i:06d}",  # 黑烟
                    "captured_at": _when(rng, days=7),
                    "plate": plate,
                    "plate_color": colour,
                    "ringelmann": rng.choice([2, 3, 4]),
                    "site": "G207 柴油货车联合执法站卡口",
                }
            ),
            actor=DEMO,
        )
    plate, colour = rng.choice(trucks)
    repairs.record_repair(
        RepairIn.model_validate(
            {
                "station": "JC-M-01",
                "repair_number": "ZZWX000001",  # 维修
                "repaired_at": _when(rng, days=3),
                "plate": plate,
                "plate_color": colour,
                "items": ["更换DPF", "清洗喷油器", "更换空气滤清器"],
                "technician": "王师傅",
            }
        ),
        actor=DEMO,
    )
