"""Export formats: version 1 (the service's own JSON) and version 2 (the platform's Chinese fields).

Version 2 writes the platform's Chinese field names and code values (黄牌, 超标, not `yellow`,
`exceed`), integers for ids, every time in +08:00, nested values as JSON (in files: JSON text in the
cell), and adds to each remote-sensing pass its photos, device, plate confidence and match decision.
A target chooses its version in `VE_EXPORT_TARGETS` (`"format": 2`); version 1 stays the default.

`FIELDS` is the one field-mapping table: the code translates with it, and the table in
`docs/export-protocol.md` is generated from it (`python -m tools.export_fields --write`, checked by
`tests/exports/test_export_formats.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select

from vehicle_enforce.auth.models import DEPARTMENT_NAMES_ZH
from vehicle_enforce.blacklist.reports import ENTRY_KIND_ZH, ENTRY_STATUS_ZH, RELEASE_KIND_ZH
from vehicle_enforce.cases.models import CASE_STATE_ZH
from vehicle_enforce.cases.views import ACTION_NAMES
from vehicle_enforce.core import jsontext
from vehicle_enforce.core.timeutil import SHANGHAI
from vehicle_enforce.exports.models import EXPORT_KIND_ZH, EXPORT_TARGET_ZH
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import evidence
from vehicle_enforce.inspections.models import (
    INVALID_REASON_ZH,
    ITEM_ZH,
    STATION_KIND_ZH,
    TEST_METHOD_ZH,
    VERDICT_ZH,
    Device,
    RemoteSensingPass,
)
from vehicle_enforce.nrmm.models import NRMM_VIOLATION_ZH, PLAN_ITEM_STATUS_ZH
from vehicle_enforce.phaseout.models import ACTION_NAMES_ZH
from vehicle_enforce.vehicles.matching import LINK_STATUS_ZH
from vehicle_enforce.vehicles.models import FUEL_ZH, PLATE_COLOR_ZH

FORMAT_VERSIONS = (1, 2)
DEFAULT_FORMAT = 1


def version_of(spec: Mapping[str, Any]) -> int:
    """A target's format version (`"format"` in its `VE_EXPORT_TARGETS` entry; 1 when absent)."""
    raw = spec.get("format", DEFAULT_FORMAT)
    try:
        version = int(raw)
    except (TypeError, ValueError):
        version = -1
    if version not in FORMAT_VERSIONS:
        raise ValueError(f"export target format must be one of {FORMAT_VERSIONS}, not {raw!r}")
    return version


FieldType = Literal["text", "id", "int", "number", "bool", "time", "date", "code", "json"]
Level = Literal["批次", "记录", "数据"]

RECORD_KIND_ZH: dict[str, str] = {
    **EXPORT_KIND_ZH,
    "remote_sensing_pass_withdrawal": "遥感检测撤回",
    "roadside_test_withdrawal": "路检/抽测撤回",
    "black_smoke_capture_withdrawal": "黑烟抓拍撤回",
}
CASE_ACTION_ZH: dict[str, str] = {
    **ACTION_NAMES,
    "open": "立案",
    "close_released": "解除结案",
    "review": "复核",
}
EVIDENCE_SOURCE_ZH: dict[str, str] = {
    "remote_sensing": "遥感检测",
    "roadside": "路检",
    "spot_check": "入户抽测",
    "inspection": "检测站（I站）",
    "black_smoke": "黑烟抓拍",
    "phaseout_action": "国三淘汰",
}
PHASEOUT_KIND_ZH: dict[str, str] = {str(k): v for k, v in ACTION_NAMES_ZH.items()}
DEPARTMENT_ZH: dict[str, str] = {str(k): v for k, v in DEPARTMENT_NAMES_ZH.items()}
BLACKLIST = ("blacklist_listing", "blacklist_release")
PASSES = ("remote_sensing_pass",)


@dataclass(frozen=True)
class Field:
    """One row of the field-mapping table."""

    level: Level  # 批次: the batch; 记录: a record's envelope; 数据: a record's data (at any depth)
    key: str  # version 1's name (the service's JSON)
    name: str  # version 2's name (the platform's)
    type: FieldType
    meaning: str = ""
    codes: Mapping[str, str] | None = None  # type "code": version 1's code -> version 2's value
    kinds: tuple[str, ...] = ()  # record kinds this row is for (empty: every kind)


def _f(level: Level, key: str, name: str, type: FieldType = "text", meaning: str = "", **kw: Any) -> Field:
    return Field(level, key, name, type, meaning, **kw)


FIELDS: tuple[Field, ...] = (
    # -- the batch (sender) --
    _f("批次", "protocol", "协议版本", meaning='"1" 或 "2"'),
    _f("批次", "batch_id", "批次号", meaning="每次发送新生成"),
    _f("批次", "source", "数据来源", "json"),
    _f("批次", "region_code", "行政区划代码"),
    _f("批次", "system", "系统名称"),
    _f("批次", "target", "目标平台", "code", codes=EXPORT_TARGET_ZH),
    _f("批次", "records", "记录", "json"),
    # -- a record's envelope (sender and daily files) --
    _f("记录", "idempotency_key", "幂等键", meaning="同一目标、类型、记录不变；平台据此去重"),
    _f("记录", "kind", "记录类型", "code", codes=RECORD_KIND_ZH),
    _f("记录", "object_id", "记录编号", "id"),
    _f("记录", "station", "站点编码"),
    _f("记录", "occurred_at", "发生时间", "time", "检测、抓拍、列入等发生的时间"),
    _f("记录", "payload", "数据", "json"),
    # -- a record's data: ids and people --
    _f("数据", "id", "编号", "id"),
    _f("数据", "pass_id", "遥感记录编号", "id"),
    _f("数据", "vehicle_id", "车辆编号", "id"),
    _f("数据", "case_id", "案件编号", "id"),
    _f("数据", "entry_id", "黑名单编号", "id"),
    _f("数据", "owner_id", "车主编号", "id"),
    _f("数据", "township_id", "乡镇编号", "id"),
    _f("数据", "machine_id", "机械编号", "id"),
    _f("数据", "site_id", "场地编号", "id"),
    _f("数据", "phaseout_action_id", "淘汰记录编号", "id"),
    _f("数据", "record_id", "设备记录号", kinds=(*PASSES, "remote_sensing_pass_withdrawal")),
    _f("数据", "record_id", "遥感记录编号", "id", kinds=BLACKLIST),
    _f("数据", "device_record_id", "设备记录号"),
    _f("数据", "report_number", "检测报告编号"),
    _f("数据", "capture_id", "抓拍记录号"),
    _f("数据", "certificate_no", "证明编号"),
    _f("数据", "operator", "检测人员"),
    _f("数据", "inspector", "检查人员"),
    _f("数据", "actor", "经办人"),
    _f("数据", "recorded_by", "录入人"),
    _f("数据", "listed_by", "列入人"),
    # -- vehicle and place --
    _f("数据", "plate", "号牌号码"),
    _f("数据", "plate_color", "号牌颜色", "code", codes=PLATE_COLOR_ZH),
    _f("数据", "station", "站点编码"),
    _f("数据", "station_name", "站点名称"),
    _f("数据", "location", "检测地点"),
    _f("数据", "site", "抓拍地点"),
    _f("数据", "pin", "机械识别码"),
    _f("数据", "env_code", "环保登记编码"),
    _f("数据", "fuel", "燃料类型", "code", codes=FUEL_ZH),
    # -- the measurement --
    _f("数据", "measured_at", "检测时间", "time"),
    _f("数据", "tested_at", "检测时间", "time"),
    _f("数据", "captured_at", "抓拍时间", "time"),
    _f("数据", "checked_at", "检查时间", "time"),
    _f("数据", "kind", "检测类别", "code", codes=STATION_KIND_ZH, kinds=("roadside_test",)),
    _f("数据", "method", "检测方法", "code", codes=TEST_METHOD_ZH),
    _f("数据", "verdict", "检测结论", "code", codes=VERDICT_ZH),
    _f("数据", "limit_set", "限值标准"),
    _f("数据", "exceeded", "超标项目", "json", "[{项目, 测量值, 限值}]"),
    _f("数据", "item", "项目", "code", codes=ITEM_ZH),
    _f("数据", "value", "测量值", "number"),
    _f("数据", "limit", "限值", "number"),
    _f("数据", "invalid_reasons", "无效原因", "code", "列表", codes=INVALID_REASON_ZH),
    _f("数据", "values", "测量值", "json", "{项目: 值}"),
    _f("数据", "readings", "检测读数", "json"),
    _f("数据", "k_readings", "光吸收系数读数", "json", "m⁻¹，各次读数"),
    _f("数据", "k", "光吸收系数（m⁻¹）", "number"),
    _f("数据", "nox_ppm", "NOx（ppm）", "number"),
    _f("数据", "speed_kmh", "车速（km/h）", "number"),
    _f("数据", "accel_ms2", "加速度（m/s²）", "number"),
    _f("数据", "vsp_kw_t", "比功率（kW/t）", "number"),
    _f("数据", "wind_ms", "风速（m/s）", "number"),
    _f("数据", "temperature_c", "环境温度（℃）", "number"),
    _f("数据", "humidity_pct", "相对湿度（%）", "number"),
    _f("数据", "pressure_kpa", "大气压（kPa）", "number"),
    _f("数据", "co2_pct", "CO2（%）", "number"),
    _f("数据", "co_pct", "CO（%）", "number"),
    _f("数据", "hc_ppm", "HC（ppm）", "number"),
    _f("数据", "no_ppm", "NO（ppm）", "number"),
    _f("数据", "opacity_pct", "不透光度（%）", "number"),
    _f("数据", "ringelmann", "林格曼黑度（级）", "int"),
    _f("数据", "mil_on", "故障指示灯点亮", "bool"),
    _f("数据", "readiness_ok", "就绪状态完成", "bool"),
    _f("数据", "tampering", "篡改", "bool"),
    _f("数据", "fault_codes", "故障码", "json"),
    _f("数据", "turn_back", "劝返", "bool"),
    _f("数据", "message", "结论说明"),
    _f("数据", "note", "备注"),
    _f("数据", "duplicate", "重复上传", "bool"),
    _f("数据", "withdrawn", "已撤回", "bool", "证据被撤回的更正记录为 true"),
    _f("数据", "withdrawn_reason", "撤回原因"),
    _f("数据", "withdrawn_at", "撤回时间", "time"),
    _f("数据", "record_kind", "被撤回记录类型", "code", codes=RECORD_KIND_ZH),
    # -- a pass's photos, device, plate reading and match (version 2 adds these from storage) --
    _f("数据", "photos", "照片", "json", "[{文件名, SHA256, 媒体类型, 大小, 地址}]；无文件时只有文件名", kinds=PASSES),
    _f("数据", "name", "文件名"),
    _f("数据", "sha256", "SHA256"),
    _f("数据", "media_type", "媒体类型"),
    _f("数据", "size", "大小（字节）", "int"),
    _f("数据", "url", "地址", meaning="本系统取证地址（需生态环境或公安权限）"),
    _f("数据", "device", "设备编号", meaning="遥感设备编码；未报设备时为空", kinds=PASSES),
    _f("数据", "device_model", "设备型号", kinds=PASSES),
    _f("数据", "plate_confidence", "车牌识别置信度", "number", "0–1", kinds=PASSES),
    _f("数据", "match_decision", "号牌匹配结果", "code", codes=LINK_STATUS_ZH),
    _f("数据", "evidence_match", "证据号牌匹配", "code", codes=LINK_STATUS_ZH),
    # -- listings --
    _f("数据", "status", "状态", "code", codes=ENTRY_STATUS_ZH, kinds=BLACKLIST),
    _f("数据", "kind", "列入方式", "code", codes=ENTRY_KIND_ZH, kinds=BLACKLIST),
    _f("数据", "rule", "列入规则"),
    _f("数据", "reason", "原因"),
    _f("数据", "evidence", "列入依据", "json", "[{来源, 遥感记录编号, 检测时间, 超标项目...}]"),
    _f("数据", "source", "来源", "code", codes=EVIDENCE_SOURCE_ZH),
    _f("数据", "text", "文字说明"),
    _f("数据", "listed_at", "列入时间", "time"),
    _f("数据", "released_at", "解除时间", "time"),
    _f("数据", "release_kind", "解除方式", "code", codes=RELEASE_KIND_ZH),
    _f("数据", "release_reason", "解除原因"),
    # -- case steps --
    _f("数据", "action", "办理环节", "code", codes=CASE_ACTION_ZH, kinds=("case_action",)),
    _f("数据", "from_state", "原状态", "code", codes=CASE_STATE_ZH),
    _f("数据", "to_state", "新状态", "code", codes=CASE_STATE_ZH),
    _f("数据", "department", "部门", "code", codes=DEPARTMENT_ZH),
    _f("数据", "at", "办理时间", "time"),
    _f("数据", "fields", "办理信息", "json"),
    _f("数据", "scrapping", "报废信息", "json"),
    # -- phase-out --
    _f("数据", "kind", "淘汰方式", "code", codes=PHASEOUT_KIND_ZH, kinds=("phaseout_action", "case_action")),
    _f("数据", "action_date", "淘汰日期", "date"),
    _f("数据", "destination", "转出地"),
    _f("数据", "subsidy_amount", "补贴金额（元）", "number"),
    _f("数据", "evidence_files", "证明材料", "json"),
    _f("数据", "created_at", "录入时间", "time"),
    # -- machinery --
    _f("数据", "machine_type", "机械类型"),
    _f("数据", "brand", "品牌"),
    _f("数据", "model", "型号"),
    _f("数据", "production_date", "生产日期", "date"),
    _f("数据", "emission_stage", "排放阶段", "int"),
    _f("数据", "emission_stage_name", "排放阶段名称"),
    _f("数据", "engine_model", "发动机型号"),
    _f("数据", "engine_maker", "发动机生产厂"),
    _f("数据", "engine_number", "发动机编号"),
    _f("数据", "rated_power_kw", "额定净功率（kW）", "number"),
    _f("数据", "acquired_on", "购置日期", "date"),
    _f("数据", "registered_on", "登记日期", "date"),
    _f("数据", "status", "状态", kinds=("nrmm_registration",)),
    _f("数据", "status", "抽查状态", "code", codes=PLAN_ITEM_STATUS_ZH, kinds=("nrmm_spot_check",)),
    _f("数据", "violations", "违法情形", "code", "列表", codes=NRMM_VIOLATION_ZH),
    _f("数据", "violations_zh", "违法情形（文字）", "json"),
    _f("数据", "penalty_yuan", "建议罚款（元）", "number"),
    _f("数据", "legal_basis", "法律依据"),
    _f("数据", "penalty_suggested", "建议处罚", "bool"),
    _f("数据", "enforcement", "处罚程序", "json"),
)


def _index() -> dict[tuple[str, str, str | None], Field]:
    out: dict[tuple[str, str, str | None], Field] = {}
    for field in FIELDS:
        for kind in field.kinds or (None,):
            key = (field.level, field.key, kind)
            if key in out:
                raise ValueError(f"field {field.level}/{field.key} ({kind}) is mapped twice")
            out[key] = field
    return out


_BY_KEY = _index()


def field_for(level: Level, key: str, kind: str | None = None) -> Field | None:
    """The table's row for `key` at `level` in a record of `kind` (a kind's own row first)."""
    return _BY_KEY.get((level, key, kind)) or _BY_KEY.get((level, key, None))


def local_time(value: Any) -> Any:
    """An ISO 8601 time (or datetime) as +08:00 ISO text; anything else unchanged."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
    elif isinstance(value, datetime):
        parsed = value
    else:
        return value
    if parsed.tzinfo is None:
        return value if isinstance(value, str) else value.isoformat()
    return parsed.astimezone(SHANGHAI).isoformat()


def _as_int(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


def convert(field: Field | None, value: Any, kind: str | None) -> Any:
    """A value in version 2: codes to their platform value, ids to integers, times to +08:00, nested
    mappings with their keys translated (at level 数据)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return translate(value, kind)
    if isinstance(value, list | tuple):
        return [convert(field, v, kind) for v in value]
    if field is None:
        return value
    if field.type in ("id", "int"):
        return _as_int(value)
    if field.type == "time":
        return local_time(value)
    if field.type == "date" and isinstance(value, date):
        return value.isoformat()
    if field.type == "code" and field.codes is not None:
        return field.codes.get(str(value), value)
    return value


def translate(data: Mapping[str, Any], kind: str | None, level: Level = "数据") -> dict[str, Any]:
    """`data` (version 1's keys) in version 2: keys renamed by the table, values converted.

    A key the table does not know keeps its name (the tests hold every key of the demo records to the table).
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        field = field_for(level, key, kind)
        name = field.name if field is not None else key
        if level != "数据" and field is not None and field.type == "json":
            out[name] = value  # the envelope's nested parts are translated by their callers
        else:
            out[name] = convert(field, value, kind)
    return out


def unmapped_keys(data: Any, kind: str | None, level: Level = "数据") -> set[str]:
    """Keys (at any depth) of `data` that the table does not map: what `translate` would leave in English."""
    found: set[str] = set()
    if isinstance(data, Mapping):
        for key, value in data.items():
            if field_for(level, key, kind) is None:
                found.add(key)
            found |= unmapped_keys(value, kind)
    elif isinstance(data, list | tuple):
        for value in data:
            found |= unmapped_keys(value, kind)
    return found


# -- What version 2 adds to a pass -----------------------------------------------------------------------


def pass_details(pass_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Per pass id: its photos (stored files, else the names the device gave), device, plate confidence
    and match decision, read in two queries for a whole batch."""
    ids = sorted({int(i) for i in pass_ids})
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            RemoteSensingPass.id,
            RemoteSensingPass.photo_names,
            RemoteSensingPass.plate_confidence,
            RemoteSensingPass.match_decision,
            Device.code,
            Device.model,
        )
        .outerjoin(Device, Device.id == RemoteSensingPass.device_id)
        .where(RemoteSensingPass.id.in_(ids))
    ).all()
    links = evidence.links_for("remote_sensing_pass", ids)
    out: dict[int, dict[str, Any]] = {}
    for pid, names, confidence, decision, device, model in rows:
        photos: list[dict[str, Any]] = list(links.get(pid) or [])
        stored = {p["name"] for p in photos}
        photos += [{"name": n} for n in names or [] if n not in stored]
        out[pid] = {
            "photos": photos,
            "device": device,
            "device_model": model,
            "plate_confidence": confidence,
            "match_decision": decision,
        }
    return out


def details_for(records: Sequence[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Version 2's additions per (kind, object id) of export records (passes only)."""
    pass_ids = [int(r.object_id) for r in records if r.kind == "remote_sensing_pass" and str(r.object_id).isdigit()]
    return {("remote_sensing_pass", str(pid)): extra for pid, extra in pass_details(pass_ids).items()}


def record_v2(record: Any, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An export record's envelope and data in version 2 (the sender's record, a daily file's row)."""
    envelope = translate(
        {
            "idempotency_key": record.idempotency_key,
            "kind": record.kind,
            "object_id": record.object_id,
            "station": record.station,
            "occurred_at": record.occurred_at,
        },
        None,
        "记录",
    )
    envelope[PAYLOAD_NAME] = translate({**record.payload, **(extra or {})}, record.kind)
    return envelope


PAYLOAD_NAME = next(f.name for f in FIELDS if f.level == "记录" and f.key == "payload")


def json_text(value: Any) -> Any:
    """A nested value as JSON text for a file's cell (never Python's repr); other values unchanged."""
    return jsontext.dumps(value) if isinstance(value, dict | list) else value


def field_table() -> str:
    """The Markdown table of `FIELDS` that docs/export-protocol.md holds."""
    lines = [
        "| 层级 | 版本 1 字段 | 版本 2 字段 | 类型 | 适用记录 | 说明、代码值（版本 1 → 版本 2） |",
        "|---|---|---|---|---|---|",
    ]
    for f in FIELDS:
        kinds = "、".join(f"`{k}`" for k in f.kinds) or "全部"
        notes = [f.meaning] if f.meaning else []
        if f.codes:
            notes.append("；".join(f"`{k}`→{v}" for k, v in f.codes.items()))
        text = "；".join(notes).replace("|", "\\|")
        lines.append(f"| {f.level} | `{f.key}` | {f.name} | {f.type} | {kinds} | {text} |")
    return "\n".join(lines) + "\n"
