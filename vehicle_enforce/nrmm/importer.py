"""Import the machinery survey spreadsheets (CSV UTF-8/GBK or XLSX): upsert by PIN, per-row errors.

A file missing a required column imports nothing; a bad row is reported (row, column, problem) in the
error report and the good rows are stored, each in its own savepoint. Reading, the refusal, the error
report and the savepoint are the shared ones of `core.imports`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.core.imports import ErrorReport, ImportRefused, Progress, cell_text, open_table, row_savepoint
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm import services
from vehicle_enforce.nrmm.models import MACHINE_TYPE_ZH, Machine, Site
from vehicle_enforce.nrmm.schemas import MachineIn

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
TYPES = {zh: code for code, zh in MACHINE_TYPE_ZH.items() if code != "other"}
STAGES = {"国一": 1, "国二": 2, "国三": 3, "国四": 4, "国I": 1, "国II": 2, "国III": 3, "国IV": 4, "电动": None}


@dataclass
class ImportResult:
    read: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0


ERROR_HEADER = ("row", "column", "problem")


def _row(raw: dict[str, Any], sites: dict[str, int]) -> dict[str, Any]:
    def text(name: str) -> str | None:
        return cell_text(raw.get(name)) or None

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


def _machine_in(data: dict[str, Any]) -> MachineIn:
    """A new machine's row in the registration schema the API validates with.

    Built without the API's field checks: a survey keeps the rules `_row` applies to it (surveys carry
    PINs shorter than the API accepts); the registration rules of `services.register_machine` apply.
    """
    return MachineIn.model_construct(**data)


def import_file(
    path: Path, actor: Actor, errors_out: Path | None = None, *, progress: Progress | None = None
) -> ImportResult:
    table = open_table(path)
    columns = {h: COLUMNS.get(h.strip(), h.strip()) for h in table.header}
    missing = [c for c in REQUIRED if c not in columns.values()]
    if missing:
        raise ImportRefused("the file lacks required columns", {c: "missing column" for c in missing})
    sites = dict(db.session.execute(select(Site.name, Site.id)).all())
    existing = {m.pin: m for m in db.session.scalars(select(Machine))}
    result = ImportResult()
    errors = ErrorReport(errors_out, ERROR_HEADER)
    try:
        for chunk in table.chunks:
            for number, cells in chunk:
                result.read += 1
                raw = {columns[h]: v for h, v in cells.items()}
                try:
                    data = _row(raw, sites)
                except ValueError as exc:
                    column, _, problem = str(exc).partition("|")
                    result.rejected += 1
                    errors.add(number, column, problem)
                    continue
                pin = data["pin"]
                try:
                    with row_savepoint():
                        machine = existing.get(pin)
                        if machine is None:
                            machine = services.register_machine(_machine_in(data), actor=actor)
                        else:
                            for key, value in data.items():
                                if value is not None and key != "env_code":
                                    setattr(machine, key, value)
                except ServiceError as exc:
                    result.rejected += 1
                    for column, problem in (exc.fields or {"row": exc.message}).items():
                        errors.add(number, column, problem)
                    continue
                if pin in existing:
                    result.updated += 1
                else:
                    existing[pin] = machine
                    result.created += 1
            if progress is not None:
                progress(len(chunk))
    except Exception:
        errors.close(discard=True)
        raise
    errors.close()
    audit.record(
        "nrmm.import",
        "nrmm_machine",
        None,
        {
            "file": path.name,
            "read": result.read,
            "created": result.created,
            "updated": result.updated,
            "rejected": result.rejected,
        },
        actor=actor,
    )
    return result
