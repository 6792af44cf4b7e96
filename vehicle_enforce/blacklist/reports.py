"""The blacklist (超标排放车辆黑名单) as the bureau files it (XLSX)."""

from __future__ import annotations

from typing import Any

from vehicle_enforce.core import spreadsheets
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH

ENTRY_STATUS_ZH = {"active": "在列", "released": "已解除"}
ENTRY_KIND_ZH = {"rule": "规则自动列入", "manual": "人工列入"}
RELEASE_KIND_ZH = {"retest": "复检合格", "manual": "人工解除", "scrapped": "车辆报废", "withdrawn": "证据撤回"}

COLUMNS = [
    Column("id", "编号", "int", "黑名单记录编号"),
    Column("plate", "号牌号码"),
    Column("plate_color", "号牌颜色", labels=PLATE_COLOR_ZH),
    Column("status", "状态", labels=ENTRY_STATUS_ZH, meaning="在列或已解除"),
    Column("kind", "列入方式", labels=ENTRY_KIND_ZH),
    Column("reason", "列入原因", width=60, meaning="列入规则及其依据的检测记录（超标项目、测量值与限值）"),
    Column("evidence_count", "依据记录（条）", "int", "列入所依据的检测记录条数"),
    Column("listed_at", "列入时间", "datetime"),
    Column("listed_by", "列入人", meaning="人工列入的经办人；规则列入为空"),
    Column("released_at", "解除时间", "datetime"),
    Column("release_kind", "解除方式", labels=RELEASE_KIND_ZH),
    Column("release_reason", "解除原因", width=40),
]


def blacklist_xlsx(entries: list[dict[str, Any]], *, status: str | None, unit: str) -> bytes:
    """`entries` are `services.entry_json` answers."""
    rows = [{**e, "evidence_count": len(e.get("evidence") or [])} for e in entries]
    return spreadsheets.report_xlsx(
        spreadsheets.Report(
            title="超标排放柴油货车黑名单",
            unit=unit,
            as_of=now_utc(),
            sheets=[spreadsheets.Sheet("黑名单", COLUMNS, rows)],
            source="本系统黑名单：遥感、路检、抽测、黑烟抓拍超标记录按列入规则自动列入，及执法人员人工列入",
            filters=[("状态", ENTRY_STATUS_ZH.get(status, status) if status else "全部（在列与已解除）")],
        )
    )
