"""Import the machinery survey spreadsheets (CSV UTF-8/GBK or XLSX): upsert by PIN, per-row errors.

A file missing a required column imports nothing; a bad row is reported (row, column, problem) in the
error report and the good rows are stored.
"""

from __future__ import annotations

import csv
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select

from vehicle_enforce.core import audit
from vehicle_enforce.core.errors import Invalid, ServiceError
from vehicle_enforce.core.spreadsheets import guard_cell
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm import services
from vehicle_enforce.nrmm.models import Machine, Site

COLUMNS = {
    "环保登记编码": "env_code",
    "机械环保代码": "env_code",
    "PIN": "pin",
    "机械识别号": "pin",
    "机械类型": "machine_type",
    "品牌": "brand",
    "型号": "model",
    "生产日期": "production_date",
    "排放阶段": "emission_stage",
    "燃料": "fuel",
    "发动机型号": "engine_model",
    "发动机生产厂": "engine_maker",
    "发动机编号": "engine_number",
    "额定功率": "rated_power_kw",
    "额定功率(kW)": "rated_power_kw",
    "所在工地": "site",
    "购置日期": "acquired_on",
    "登记日期": "registered_on",
}
REQUIRED = ("pin", "machine_type", "emission_stage", "rated_power_kw")
TYPES = {
    "挖掘机": "excavator",
    "装载机": "loader",
    "叉车": "forklift",
    "起重机": "crane",
    "压路机": "roller",
    "推土机": "bulldozer",
    "摊铺机": "paver",
    "平地机": "grader",
}
STAGES = {"国一": 1, "国二": 2, "国三": 3, "国四": 4, "国I": 1, "国II": 2, "国III": 3, "国IV": 4, "电动": None}


@dataclass
class ImportResult:
    read: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def _read(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=str)
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return pd.read_csv(path, dtype=str, encoding=encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid("the file is neither UTF-8 nor GBK", {"file": "unknown encoding"})


def _row(raw: dict[Hashable, Any], sites: dict[str, int]) -> dict[str, Any]:
    def text(name: str) -> str | None:
        value = raw.get(name)
        return None if value is None or (isinstance(value, float)) or str(value).strip() == "" else str(value).strip()

    out: dict[str, Any] = {
        k: text(k) for k in ("env_code", "brand", "model", "engine_model", "engine_maker", "engine_number")
    }
    out["pin"] = text("pin")
    kind = text("machine_type") or ""
    out["machine_type"] = TYPES.get(kind, kind if kind in TYPES.values() else "other")
    stage = text("emission_stage") or ""
    if stage not in STAGES:
        raise ValueError("emission_stage|国一、国二、国三、国四 or 电动")
    out["emission_stage"] = STAGES[stage]
    out["fuel"] = "electric" if stage == "电动" else (text("fuel") or "diesel")
    try:
        out["rated_power_kw"] = float(text("rated_power_kw") or "")
    except ValueError:
        raise ValueError("rated_power_kw|a number in kW") from None
    for name in ("production_date", "acquired_on", "registered_on"):
        value = text(name)
        try:
            out[name] = date.fromisoformat(value[:10]) if value else None
        except ValueError:
            raise ValueError(f"{name}|a date YYYY-MM-DD") from None
    site = text("site")
    if site:
        if site not in sites:
            raise ValueError("site|unknown site")
        out["site_id"] = sites[site]
    if not out["pin"]:
        raise ValueError("pin|required")
    return out


def import_file(path: Path, actor: str, errors_out: Path | None = None) -> ImportResult:
    frame = _read(path).rename(columns=lambda c: COLUMNS.get(str(c).strip(), str(c).strip()))
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise Invalid("the file lacks required columns", {c: "missing column" for c in missing})
    sites = dict(db.session.execute(select(Site.name, Site.id)).all())
    existing = {m.pin: m for m in db.session.scalars(select(Machine))}
    result = ImportResult()
    for number, raw in enumerate(frame.to_dict("records"), start=2):
        result.read += 1
        try:
            data = _row(raw, sites)
        except ValueError as exc:
            column, _, problem = str(exc).partition("|")
            result.errors.append((number, column, problem))
            continue
        machine = existing.get(data["pin"])
        try:
            if machine is None:
                existing[data["pin"]] = services.register_machine(data, actor)
                result.created += 1
            else:
                for key, value in data.items():
                    if value is not None and key != "env_code":
                        setattr(machine, key, value)
                result.updated += 1
        except ServiceError as exc:
            for column, problem in (exc.fields or {"row": exc.message}).items():
                result.errors.append((number, column, problem))
    db.session.flush()
    audit.record(
        "nrmm.import",
        "nrmm_machine",
        None,
        {
            "file": path.name,
            "read": result.read,
            "created": result.created,
            "updated": result.updated,
            "rejected": len(result.errors),
        },
    )
    if errors_out is not None and result.errors:
        with errors_out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["row", "column", "problem"])
            writer.writerows([guard_cell(v) for v in row] for row in result.errors)
    return result
