"""The restricted-truck report (预警期间受限车辆进出厂情况) as the bureau files it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from vehicle_enforce.alerts.models import ALERT_LEVEL_ZH, Alert
from vehicle_enforce.core import spreadsheets
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.core.timeutil import format_local, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles.matching import LINK_STATUS_ZH
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH, Owner

STANDARD_SOURCE_ZH = {
    "gate": "闸口记录",
    "registry": "车辆登记库",
    "registry_inferred": "车辆登记库（按注册日期推定）",
    None: "不明",
}

GATE_COLUMNS = [
    Column("owner", "企业", meaning="重点企业（门禁系统所属单位）"),
    Column("plate", "号牌号码"),
    Column("plate_color", "号牌颜色", labels=PLATE_COLOR_ZH),
    Column("direction", "进出方向", meaning="进厂或出厂"),
    Column("at", "进出时间", "datetime", "门禁记录的时间（北京时间）"),
    Column("emission_standard", "排放阶段（国）", "int", "国几排放标准；空白为不明"),
    Column(
        "standard_source", "排放阶段来源", labels=STANDARD_SOURCE_ZH, meaning="闸口记录、车辆登记库或按注册日期推定"
    ),
    Column("registered", "是否登记车辆", "bool", "登记库中是否有此车"),
    Column("match_decision", "号牌匹配", labels=LINK_STATUS_ZH, meaning="号牌与登记库的匹配结果"),
    Column("measure", "管控措施/处理意见", width=60, meaning="预警期间对该车适用的管控措施，或需核查的原因"),
]


def gate_report_xlsx(alert: Alert, rows: list[dict[str, Any]], *, unit: str) -> bytes:
    owner_ids = sorted({r["owner_id"] for r in rows if r.get("owner_id") is not None})
    names = (
        dict(db.session.execute(select(Owner.id, Owner.name).where(Owner.id.in_(owner_ids))).all()) if owner_ids else {}
    )
    table = [{**r, "owner": names.get(r["owner_id"], r["owner_id"]) if r.get("owner_id") else None} for r in rows]
    level = ALERT_LEVEL_ZH.get(alert.level, alert.level)
    span = f"{format_local(alert.starts_at, '%Y-%m-%d %H:%M')} 至 {format_local(alert.ends_at, '%Y-%m-%d %H:%M')}"
    return spreadsheets.report_xlsx(
        spreadsheets.Report(
            title=f"重污染天气{level}期间受限车辆进出重点企业情况表",
            unit=unit,
            as_of=now_utc(),
            sheets=[spreadsheets.Sheet("预警期间受限车辆", GATE_COLUMNS, table)],
            source="重点企业门禁系统上传的进出厂记录，排放阶段取自闸口记录或本系统车辆登记库",
            filters=[("预警", f"{level}（第 {alert.id} 号）"), ("预警期间", span)]
            + ([("发布通告", alert.notice_no)] if alert.notice_no else []),
            notes=[("说明", "排放阶段不明或未登记的车辆一并列出，请核查是否为受限车辆")],
        )
    )
