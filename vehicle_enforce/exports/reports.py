"""The transmission-rate report (数据传输率统计表) as the bureau files it (XLSX)."""

from __future__ import annotations

from typing import Any

from vehicle_enforce.core import spreadsheets
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.exports.models import EXPORT_KIND_ZH, EXPORT_TARGET_ZH

ALARM_ZH = {True: "低于阈值", False: "正常"}


def _columns(key: Column) -> list[Column]:
    return [
        key,
        Column("due", "应传（条）", "int", "该日/站点/类型应上报平台的记录数"),
        Column("acknowledged", "已确认（条）", "int", "平台已确认接收的记录数"),
        Column("rate", "传输率", "percent", "已确认 ÷ 应传"),
        Column("alarm", "告警", labels=ALARM_ZH, meaning="传输率低于阈值时为“低于阈值”"),
    ]


def status_xlsx(status: dict[str, Any], *, as_of: Any, unit: str) -> bytes:
    """`status` is `services.status(...)`'s answer."""
    kinds = {**EXPORT_KIND_ZH, "remote_sensing_pass_withdrawal": "遥感检测撤回"}
    sheets = [
        spreadsheets.Sheet(
            "按日",
            _columns(Column("due_day", "日期", "date", "记录发生日（北京时间）")),
            status["by_day"],
            title="数据传输率统计表（按日）",
        ),
        spreadsheets.Sheet(
            "按站点",
            _columns(Column("station", "站点编码", meaning="产生记录的检测站点；空白为非站点记录（列入、案件等）")),
            status["by_station"],
            title="数据传输率统计表（按站点）",
        ),
        spreadsheets.Sheet(
            "按县",
            _columns(Column("county", "县（市、区）", meaning="记录所属站点所在的县（市、区）；空白为非站点记录")),
            status.get("by_county", []),
            title="数据传输率统计表（按县）",
        ),
        spreadsheets.Sheet(
            "按记录类型",
            _columns(Column("kind", "记录类型", labels=kinds)),
            status["by_kind"],
            title="数据传输率统计表（按记录类型）",
        ),
        spreadsheets.Sheet(
            "按平台",
            _columns(Column("target", "上报平台", labels=EXPORT_TARGET_ZH)),
            [*status["by_target"], {"target": "合计", **status["total"]}],
            title="数据传输率统计表（按平台）",
        ),
    ]
    return spreadsheets.report_xlsx(
        spreadsheets.Report(
            title="数据传输率统计表",
            unit=unit,
            as_of=as_of,
            sheets=sheets,
            source="本系统上报队列：每条记录按其发生日（北京时间）计入应传，平台确认后计入已确认",
            filters=[
                ("统计期间", f"{status['since']} 至 {status['until']}"),
                ("上报平台", EXPORT_TARGET_ZH.get(status.get("target") or "", status.get("target") or "全部")),
            ],
            notes=[("告警阈值", f"{status['threshold']:.0%}")],
        )
    )
