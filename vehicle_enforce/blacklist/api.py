"""JSON API: the blacklist (environment lists and releases by hand) and evidence withdrawals."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.blacklist import reports, services, withdrawals
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.blacklist.schemas import (
    ENTRY_EXAMPLE,
    MANUAL_ENTRY_EXAMPLE,
    RELEASED_ENTRY_EXAMPLE,
    WITHDRAWAL_EXAMPLE,
    WITHDRAWAL_REQUEST_EXAMPLE,
    EntryOut,
    EntryPage,
    ListQuery,
    ManualListing,
    Release,
    ReportQuery,
    WithdrawalIn,
    WithdrawalOut,
)
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.core.openapi import json_body, operation, query_args
from vehicle_enforce.core.pagination import page, page_json
from vehicle_enforce.core.spreadsheets import XLSX_MIMETYPE
from vehicle_enforce.extensions import db
from vehicle_enforce.summary.units import unit_for
from vehicle_enforce.vehicles.models import Vehicle

bp = Blueprint("blacklist_api", __name__, url_prefix="/api/v1")

READERS = (D.environment, D.police, D.transport)


@bp.get("/blacklist")
@api_access(*READERS)
@operation(
    "黑名单记录（在列与已解除） / Blacklist entries (active and released), newest listing rules explained in words",
    query=ListQuery,
    resp={200: EntryPage},
    examples={"response": {"results": [ENTRY_EXAMPLE], "next_cursor": "MzEx"}},
)
def list_entries() -> Any:
    q = query_args(ListQuery)
    stmt = select(BlacklistEntry)
    if q.status:
        stmt = stmt.where(BlacklistEntry.status == q.status)
    if q.vehicle_id:
        stmt = stmt.where(BlacklistEntry.vehicle_id == q.vehicle_id)
    if q.plate:
        stmt = stmt.join(Vehicle, Vehicle.id == BlacklistEntry.vehicle_id).where(Vehicle.plate == q.plate)
    rows, cursor = page(stmt, BlacklistEntry.id, q)
    return jsonify(page_json(rows, cursor, services.entry_json))


@bp.get("/blacklist/report.xlsx")
@api_access(*READERS)
@operation(
    "黑名单报表（Excel，含标题、填报单位、说明页；?status=active|released） / The blacklist as a filed XLSX report",
    query=ReportQuery,
    resp={200: None},
)
def report_xlsx() -> Any:
    q = query_args(ReportQuery)
    stmt = select(BlacklistEntry).order_by(BlacklistEntry.id)
    if q.status:
        stmt = stmt.where(BlacklistEntry.status == q.status)
    entries = [services.entry_json(e) for e in db.session.scalars(stmt)]
    return Response(
        reports.blacklist_xlsx(entries, status=q.status, unit=unit_for(principal_or_401())),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": "attachment; filename=blacklist.xlsx"},
    )


@bp.get("/blacklist/<int:entry_id>")
@api_access(*READERS)
@operation(
    "单条黑名单记录及其证据 / One blacklist entry with its evidence",
    resp={200: EntryOut},
    examples={"response": ENTRY_EXAMPLE},
)
def get_entry(entry_id: int) -> Any:

    entry = db.session.get(BlacklistEntry, entry_id)
    if entry is None:
        raise NotFound(f"blacklist entry {entry_id} not found")
    return jsonify(services.entry_json(entry))


@bp.post("/blacklist")
@api_access(D.environment)
@operation(
    "人工列入黑名单（生态环境，须写明理由） / List a vehicle by hand (environment, reason required)",
    json=ManualListing,
    resp={201: EntryOut},
    examples={
        "request": {"plate": "晋E12345", "plate_color": "yellow", "reason": "群众举报冒黑烟，巴公镇执法中队现场核实"},
        "response": MANUAL_ENTRY_EXAMPLE,
    },
)
def list_manually() -> Any:
    entry = services.list_manually(json_body(ManualListing), actor=principal_or_401())
    return jsonify(services.entry_json(entry)), 201


@bp.post("/blacklist/<int:entry_id>/release")
@api_access(D.environment)
@operation(
    "人工解除黑名单（生态环境，须写明理由），其案件随之关闭 / "
    "Release an entry by hand (environment, reason required); its case is closed",
    json=Release,
    resp={200: EntryOut},
    examples={
        "request": {"reason": "经复核，超标记录系设备校准失效所致"},
        "response": RELEASED_ENTRY_EXAMPLE,
    },
)
def release(entry_id: int) -> Any:
    entry = services.release_manually(entry_id, json_body(Release), actor=principal_or_401())
    return jsonify(services.entry_json(entry))


@bp.post("/evidence-withdrawals")
@api_access(D.environment)
@operation(
    "撤回某站点或某设备一段时间内的检测记录 / "
    "Withdraw a station's or one device's passes over a period (e.g. a failed calibration found later)",
    json=WithdrawalIn,
    resp={201: WithdrawalOut},
    examples={"request": WITHDRAWAL_REQUEST_EXAMPLE, "response": WITHDRAWAL_EXAMPLE},
)
def post_withdrawal() -> Any:
    withdrawal = withdrawals.withdraw(json_body(WithdrawalIn), actor=principal_or_401())
    return jsonify(withdrawals.withdrawal_json(withdrawal)), 201
