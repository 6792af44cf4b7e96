"""The machinery registry and a month's sampling plan as the bureau files them (XLSX)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from vehicle_enforce.auth.models import Township
from vehicle_enforce.core import spreadsheets
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm.models import PLAN_ITEM_STATUS_ZH, Machine, SamplingPlan, Site
from vehicle_enforce.vehicles.models import FUEL_ZH, Owner

MACHINE_STATUS_ZH = {"active": "在用", "retired": "已注销", "moved_out": "已转出"}

REGISTRY_COLUMNS = [
    Column("id", "序号", "int", "本系统登记编号"),
    Column("env_code", "环保登记编码", meaning="国家非道路移动机械平台的环保登记编码（或本系统生成）"),
    Column("pin", "机械识别码（PIN）"),
    Column("machine_type", "机械类型"),
    Column("brand", "品牌"),
    Column("model", "型号"),
    Column("production_date", "生产日期", "date"),
    Column("emission_stage_name", "排放阶段", meaning="国一至国四；电动机械为“电动”"),
    Column("fuel", "燃料类型", labels=FUEL_ZH),
    Column("engine_model", "发动机型号"),
    Column("engine_maker", "发动机生产厂"),
    Column("engine_number", "发动机编号"),
    Column("rated_power_kw", "额定净功率（kW）", "number", number_format="0.0"),
    Column("owner", "所有人/使用单位"),
    Column("site", "所在场地"),
    Column("acquired_on", "购置/转入日期", "date"),
    Column("registered_on", "登记日期", "date"),
    Column("status", "状态", labels=MACHINE_STATUS_ZH),
]

PLAN_COLUMNS = [
    Column("item_id", "序号", "int", "抽查计划条目编号"),
    Column("township", "乡镇"),
    Column("env_code", "环保登记编码"),
    Column("pin", "机械识别码（PIN）"),
    Column("machine_type", "机械类型"),
    Column("emission_stage_name", "排放阶段"),
    Column("site", "所在场地"),
    Column("inspector", "检查人员"),
    Column("status", "抽查状态", labels=PLAN_ITEM_STATUS_ZH, meaning="待检、已检或未找到"),
]


def _names(model: Any, ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def registry_xlsx(rows: list[dict[str, Any]], *, unit: str, scope_note: str | None = None) -> bytes:
    """`rows` are `services.machine_json` answers (the caller's scope)."""
    owners = _names(Owner, {r["owner_id"] for r in rows})
    sites = _names(Site, {r["site_id"] for r in rows})
    table = [{**r, "owner": owners.get(r["owner_id"]), "site": sites.get(r["site_id"])} for r in rows]
    return spreadsheets.report_xlsx(
        spreadsheets.Report(
            title="非道路移动机械登记台账",
            unit=unit,
            as_of=now_utc(),
            sheets=[spreadsheets.Sheet("非道路移动机械", REGISTRY_COLUMNS, table)],
            source="本系统非道路移动机械登记（含国家平台导入的编码登记与摸底调查导入）",
            filters=[("范围", scope_note)] if scope_note else [],
        )
    )


def plan_xlsx(plan: SamplingPlan, allowed_townships: Collection[int] | None, *, unit: str) -> bytes:
    """A month's sampling plan with its machines; a township caller sees only its own items."""
    items = [i for i in plan.items if allowed_townships is None or i.township_id in allowed_townships]
    machines = {
        m.id: m for m in db.session.scalars(select(Machine).where(Machine.id.in_({i.machine_id for i in items})))
    }
    townships = _names(Township, {i.township_id for i in items if i.township_id is not None})
    sites = _names(Site, {m.site_id for m in machines.values() if m.site_id is not None})
    table = []
    for item in items:
        m = machines[item.machine_id]
        table.append(
            {
                "item_id": item.id,
                "township": townships.get(item.township_id) if item.township_id else None,
                "env_code": m.env_code,
                "pin": m.pin,
                "machine_type": m.machine_type,
                "emission_stage_name": m.emission_stage_name,
                "site": sites.get(m.site_id) if m.site_id else None,
                "inspector": item.inspector,
                "status": item.status,
            }
        )
    checked = sum(1 for i in items if i.status == "checked")
    return spreadsheets.report_xlsx(
        spreadsheets.Report(
            title=f"{plan.month[:4]}年{int(plan.month[5:7])}月非道路移动机械抽查计划",
            unit=unit,
            as_of=now_utc(),
            sheets=[spreadsheets.Sheet("抽查计划", PLAN_COLUMNS, table)],
            source="本系统按登记台账随机抽取（随机种子留存，可复核）",
            filters=[("月份", plan.month)]
            + ([] if allowed_townships is None else [("乡镇", "、".join(sorted(townships.values())) or "无")]),
            notes=[
                ("抽查比例", f"{plan.share:.0%}（在用机械 {plan.population} 台，抽取 {len(plan.items)} 台）"),
                ("随机种子", str(plan.seed)),
                ("进度", f"已检 {checked} / {len(items)} 台"),
            ],
        )
    )
