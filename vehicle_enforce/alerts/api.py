"""JSON API: heavy-pollution alerts, enterprise grades, gate records and the restricted-truck report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from vehicle_enforce.alerts import reports, services
from vehicle_enforce.alerts.models import Alert
from vehicle_enforce.alerts.schemas import (
    AlertAction,
    AlertIn,
    AlertList,
    AlertOut,
    GateIn,
    GateOut,
    GateReport,
    GradeIn,
    GradeOut,
)
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import ANY, api_access, principal_or_401
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.core.openapi import json_body, operation
from vehicle_enforce.core.spreadsheets import XLSX_MIMETYPE
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.summary.units import unit_for

bp = Blueprint("alerts_api", __name__, url_prefix="/api/v1/alerts")


_ALERT_EXAMPLE = {
    "id": 1,
    "level": "orange",
    "townships": [3, 5],
    "starts_at": "2026-11-05T00:00:00+00:00",
    "ends_at": "2026-11-08T00:00:00+00:00",
    "lifted_at": None,
    "issued_by": "泽州县生态环境局 王磊",
    "notice_no": "泽环预警〔2026〕3号",
    "history": [
        {"action": "issue", "level": "orange", "by": "泽州县生态环境局 王磊", "at": "2026-11-04T09:12:00+00:00"}
    ],
}


@bp.get("/active")
@api_access(ANY)
@operation(
    "当前生效的预警 / Alerts in force now", resp={200: AlertList}, examples={"response": {"results": [_ALERT_EXAMPLE]}}
)
def active() -> Any:
    return jsonify({"results": [services.alert_json(a) for a in services.in_force(now_utc())]})


@bp.post("")
@api_access(D.environment)
@operation(
    "发布重污染预警（生态环境） / Issue an alert (environment)",
    json=AlertIn,
    resp={201: AlertOut},
    examples={
        "request": {
            "level": "orange",
            "starts_at": "2026-11-05T08:00:00+08:00",
            "ends_at": "2026-11-08T08:00:00+08:00",
            "townships": [3, 5],
            "notice_no": "泽环预警〔2026〕3号",
        },
        "response": _ALERT_EXAMPLE,
    },
)
def issue() -> Any:
    principal = principal_or_401()
    data = json_body(AlertIn)
    alert = services.issue(data, actor=principal)
    return jsonify(services.alert_json(alert)), 201


@bp.post("/<int:alert_id>/actions")
@api_access(D.environment)
@operation(
    "延长、升级或提前解除预警 / Extend, upgrade or lift an alert early",
    json=AlertAction,
    resp={200: AlertOut},
    examples={"request": {"action": "upgrade", "level": "red"}, "response": _ALERT_EXAMPLE},
)
def alert_action(alert_id: int) -> Any:
    principal = principal_or_401()
    data = json_body(AlertAction)
    alert = services.act(alert_id, data, actor=principal)
    return jsonify(services.alert_json(alert))


@bp.post("/enterprise-grades")
@api_access(D.environment)
@operation(
    "设定重点企业绩效分级（A/B/C）与日均货车趟次 / Set a key enterprise's grade (A/B/C) and daily truck trips",
    json=GradeIn,
    resp={200: GradeOut},
    examples={
        "request": {"owner_id": 1, "grade": "B", "daily_truck_trips": 40},
        "response": {"owner_id": 1, "grade": "B", "daily_truck_trips": 40},
    },
)
def set_grade() -> Any:
    principal = principal_or_401()
    data = json_body(GradeIn)
    grade = services.set_grade(data, actor=principal)
    return jsonify(GradeOut.model_validate(grade).model_dump(mode="json"))


@bp.post("/gate-records")
@api_access(D.environment)
@operation(
    "上传企业门禁系统记录（幂等） / Post an enterprise gate system's records (idempotent)",
    json=GateIn,
    resp={201: GateOut, 200: GateOut},
    examples={
        "request": {
            "owner_id": 12,
            "records": [
                {"plate": "晋E12345", "plate_color": "yellow", "direction": "in", "at": "2026-11-05T09:30:00+08:00"},
                {
                    "plate": "晋EA1234D",
                    "plate_color": "green",
                    "direction": "out",
                    "at": "2026-11-05T10:05:00+08:00",
                    "emission_standard": 6,
                    "fuel": "diesel",
                    "vehicle_type": "heavy_truck",
                },
            ],
        },
        "response": {"stored": 2, "duplicates": 0},
    },
)
def gate_records() -> Any:
    data = json_body(GateIn)
    stored, duplicates = services.record_gate(data)
    return jsonify(GateOut(stored=stored, duplicates=duplicates).model_dump()), 201 if stored else 200


@bp.get("/<int:alert_id>/report.<fmt>")
@api_access(D.environment, D.transport, D.police)
@operation(
    "预警期间受限车辆报表（json 或 xlsx） / The restricted-truck report as json or xlsx",
    resp={200: GateReport},
    batch=True,  # the answer is JSON or a spreadsheet: it is documented, not validated again
    description="`report.json` answers the rows below; `report.xlsx` the same rows as a spreadsheet.",
    examples={
        "response": {
            "results": [
                {
                    "owner_id": 12,
                    "plate": "晋E12345",
                    "plate_color": "yellow",
                    "direction": "进厂",
                    "at": "2026-11-05T01:30:00+00:00",
                    "emission_standard": 4,
                    "standard_source": "registry",
                    "registered": True,
                    "vehicle_id": 301,
                    "match_decision": "exact",
                    "measure": "橙色预警期间国四及以下柴油货车禁止进出厂区（排放标准取自车辆登记库）",
                }
            ]
        }
    },
)
def report_file(alert_id: int, fmt: str) -> Any:
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    rows = services.gate_report(alert)
    if fmt == "json":
        return jsonify({"results": rows})
    if fmt != "xlsx":
        raise NotFound("report formats: json, xlsx")
    return Response(
        reports.gate_report_xlsx(alert, rows, unit=unit_for(principal_or_401())),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f"attachment; filename=alert-{alert.id}-restricted-trucks.xlsx"},
    )
