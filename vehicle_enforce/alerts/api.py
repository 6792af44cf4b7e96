"""JSON API: heavy-pollution alerts, enterprise grades, gate records and the restricted-truck report."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pandas as pd
from flask import Blueprint, Response, jsonify
from pydantic import AwareDatetime, Field

from vehicle_enforce.alerts import services
from vehicle_enforce.alerts.models import Alert, GateRecord
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import ANY, api_access, principal_or_401
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.openapi import Out, json_body, operation
from vehicle_enforce.core.schemas import Schema
from vehicle_enforce.core.spreadsheets import to_xlsx_bytes
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles.models import Owner

bp = Blueprint("alerts_api", __name__, url_prefix="/api/v1/alerts")
Level = Literal["blue", "yellow", "orange", "red"]


class AlertIn(Schema):
    stored_as = (Alert,)
    level: Level
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    townships: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] | None = Field(default=None, max_length=50)
    notice_no: str | None = Field(default=None, min_length=1, max_length=64)  # 通告文号: basis of road restrictions


class AlertAction(Schema):
    action: Literal["extend", "upgrade", "lift"]
    level: Level | None = None
    ends_at: AwareDatetime | None = None


class GradeIn(Schema):
    owner_id: int = Field(ge=1, le=2**31 - 1)
    grade: Literal["A", "B", "C"]
    daily_truck_trips: int = Field(ge=0, le=100000)


class GateRow(Schema):
    stored_as = (GateRecord,)
    plate: str = Field(min_length=1, max_length=16)
    plate_color: str = Field(default="yellow", max_length=16)
    direction: Literal["in", "out"]
    at: AwareDatetime
    emission_standard: int | None = Field(default=None, ge=0, le=6)
    fuel: str | None = Field(default=None, max_length=16)
    vehicle_type: str | None = Field(default=None, max_length=32)


class GateIn(Schema):
    owner_id: int = Field(ge=1, le=2**31 - 1)
    records: list[GateRow] = Field(min_length=1, max_length=5000)


class AlertOut(Out):
    id: int
    level: Level
    townships: list[int] | None
    starts_at: str
    ends_at: str
    lifted_at: str | None
    issued_by: str | None
    notice_no: str | None
    history: list[Any] | None


class AlertList(Out):
    results: list[AlertOut]


class GradeOut(Out):
    owner_id: int
    grade: Literal["A", "B", "C"]
    daily_truck_trips: int


class GateOut(Out):
    stored: int
    duplicates: int


_ALERT_EXAMPLE = {
    "id": 1,
    "level": "orange",
    "townships": None,
    "starts_at": "2019-11-05T00:00:00+00:00",
    "ends_at": "2019-11-08T00:00:00+00:00",
    "lifted_at": None,
    "issued_by": "huanbao",
    "notice_no": "泽环预警〔2019〕3号",
    "history": [],
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
            "starts_at": "2019-11-05T08:00:00+08:00",
            "ends_at": "2019-11-08T08:00:00+08:00",
        },
        "response": _ALERT_EXAMPLE,
    },
)
def issue() -> Any:
    principal = principal_or_401()
    data = json_body(AlertIn)
    alert = services.issue(
        data.level, data.starts_at, data.ends_at, data.townships, principal.name, notice_no=data.notice_no
    )
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
    alert = services.act(alert_id, data.action, level=data.level, ends_at=data.ends_at, actor=principal.name)
    return jsonify(services.alert_json(alert))


@bp.post("/enterprise-grades")
@api_access(D.environment)
@operation(
    "设定重点企业绩效分级（A/B/C）与日均货车趟次 / Set a key enterprise's grade (A/B/C) and daily truck trips",
    json=GradeIn,
    resp={200: GradeOut},
    examples={"request": {"owner_id": 1, "grade": "B", "daily_truck_trips": 40}},
)
def set_grade() -> Any:
    principal = principal_or_401()
    data = json_body(GradeIn)
    services.set_grade(data.owner_id, data.grade, data.daily_truck_trips, actor=principal)
    return jsonify(data.model_dump())


@bp.post("/gate-records")
@api_access(D.environment)
@operation(
    "上传企业门禁系统记录（幂等） / Post an enterprise gate system's records (idempotent)",
    json=GateIn,
    resp={201: GateOut, 200: GateOut},
    examples={"response": {"stored": 2, "duplicates": 0}},
)
def gate_records() -> Any:
    data = json_body(GateIn)
    if db.session.get(Owner, data.owner_id) is None:
        raise Invalid("unknown enterprise", {"owner_id": "unknown owner"})
    stored, duplicates = services.record_gate(data.owner_id, [r.model_dump() for r in data.records])
    return jsonify({"stored": stored, "duplicates": duplicates}), 201 if stored else 200


@bp.get("/<int:alert_id>/report.<fmt>")
@api_access(D.environment, D.transport, D.police)
@operation("预警期间受限车辆报表（json 或 xlsx） / The restricted-truck report as json or xlsx", resp={200: None})
def report_file(alert_id: int, fmt: str) -> Any:
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    rows = services.gate_report(alert)
    if fmt == "json":
        return jsonify({"results": rows})
    if fmt != "xlsx":
        raise NotFound("report formats: json, xlsx")
    frame = pd.DataFrame(
        rows,
        columns=[
            "owner_id",
            "plate",
            "plate_color",
            "direction",
            "at",
            "emission_standard",
            "standard_source",
            "registered",
            "measure",
        ],
    )
    return Response(
        to_xlsx_bytes({"预警期间受限车辆": frame}),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
