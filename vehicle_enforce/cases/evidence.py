"""A case's evidence as its detail page shows it: each record the listing cites, with its readings and
its photos (and the vendor's video), and which stored files belong to the case at all.

The listing (`blacklist_entries.evidence`) names its records by source and id; the photos are the
evidence links of those records (`inspections/evidence.py`). A page never links a photo by its bare
SHA-256: it links `/ops/evidence/case/<case id>/<sha>` (`reviews/evidence_views.py`), which serves the
file only to a viewer who may see the case and only when the file belongs to one of its records.
"""

from __future__ import annotations

from typing import Any

from vehicle_enforce.auth.models import Department
from vehicle_enforce.cases.models import Case
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.models import (
    ITEM_UNITS,
    ITEM_ZH,
    BlackSmokeCapture,
    RemoteSensingPass,
    RoadsideTest,
)

#: The evidence item's `source` → (the evidence links' object type, the record's model).
SOURCES: dict[str, tuple[str, type[Any]]] = {
    "remote_sensing": ("remote_sensing_pass", RemoteSensingPass),
    "black_smoke": ("black_smoke_capture", BlackSmokeCapture),
    "roadside": ("roadside_test", RoadsideTest),
    "spot_check": ("roadside_test", RoadsideTest),
    "inspection": ("roadside_test", RoadsideTest),
}
SOURCE_ZH = {"remote_sensing": "遥感检测", "black_smoke": "黑烟抓拍", "roadside": "路检", "spot_check": "入户抽测"}
SOURCE_ZH["inspection"] = "I站检验"

#: Who sees the photos and videos of evidence (as the API's /evidence answers: environment and police).
PHOTO_READERS = frozenset({Department.environment, Department.police, Department.admin})

#: A remote-sensing pass's measured values shown beside its verdict: (column, name, unit).
PASS_READINGS = (
    ("opacity_pct", "不透光度", "%"),
    ("no_ppm", "NO", "ppm"),
    ("co_pct", "CO", "%"),
    ("hc_ppm", "HC", "ppm"),
    ("co2_pct", "CO₂", "%"),
    ("ringelmann", "林格曼黑度", "级"),
    ("speed_kmh", "车速", "km/h"),
    ("accel_ms2", "加速度", "m/s²"),
    ("vsp_kw_t", "比功率", "kW/t"),
    ("wind_ms", "风速", "m/s"),
)


def sees_photos(principal: Actor) -> bool:
    return principal.department in PHOTO_READERS


def objects(case: Case) -> list[tuple[str, int]]:
    """(object type, id) of every record the case's listing cites."""
    found: list[tuple[str, int]] = []
    for item in (case.entry.evidence if case.entry is not None else None) or []:
        source = SOURCES.get(str(item.get("source")))
        if source is not None and isinstance(item.get("record_id"), int):
            found.append((source[0], int(item["record_id"])))
    return found


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _readings(record: Any) -> list[str]:
    if isinstance(record, RemoteSensingPass):
        return [
            f"{name} {_number(getattr(record, column))}{unit}"
            for column, name, unit in PASS_READINGS
            if getattr(record, column) is not None
        ]
    if isinstance(record, RoadsideTest):
        shown = []
        k = (record.readings or {}).get("k_readings")
        if k:
            shown.append("光吸收系数 " + "、".join(_number(v) for v in k) + " m⁻¹")
        if (record.readings or {}).get("ringelmann") is not None:
            shown.append(f"林格曼黑度 {record.readings['ringelmann']} 级")
        for item, value in (record.judged_values or {}).items():
            shown.append(f"判定值 {ITEM_ZH.get(item, item)} {_number(value)}{ITEM_UNITS.get(item, '')}")
        return shown
    if isinstance(record, BlackSmokeCapture):
        return [f"林格曼黑度 {record.ringelmann} 级"]
    return []


def case_evidence(case: Case, principal: Actor) -> list[dict[str, Any]]:
    """The records the case's listing cites: what, when, where, readings, verdict, photos (for readers)."""
    shown = []
    photos = sees_photos(principal)
    for item in (case.entry.evidence if case.entry is not None else None) or []:
        source = SOURCES.get(str(item.get("source")))
        record = None
        if source is not None and isinstance(item.get("record_id"), int):
            record = db.session.get(source[1], int(item["record_id"]))
        shown.append(
            {
                "source": item.get("source"),
                "source_zh": SOURCE_ZH.get(str(item.get("source")), "检测记录"),
                "text": item.get("text"),
                "station_name": item.get("station_name"),
                "measured_at": getattr(record, "measured_at", None)
                or getattr(record, "tested_at", None)
                or getattr(record, "captured_at", None),
                "verdict": getattr(record, "verdict", None),
                "readings": _readings(record),
                "withdrawn": bool(getattr(record, "withdrawn", False)),
                "withdrawn_reason": getattr(record, "withdrawn_reason", None),
                "photos": evidence.page_files("case", case.id, source[0], record.id)
                if photos and record is not None and source is not None
                else None,
            }
        )
    return shown
