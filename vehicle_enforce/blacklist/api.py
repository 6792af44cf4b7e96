"""JSON API: the blacklist (environment lists and releases by hand) and evidence withdrawals."""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, Field
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.blacklist import services, withdrawals
from vehicle_enforce.blacklist.models import BlacklistEntry, EvidenceWithdrawal
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.openapi import Out, Page, json_body, operation, query_args
from vehicle_enforce.core.pagination import PageQuery, page, page_json
from vehicle_enforce.core.schemas import Schema
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles.models import Vehicle

bp = Blueprint("blacklist_api", __name__, url_prefix="/api/v1")

READERS = (D.environment, D.police, D.transport)
PlateColor = Literal["blue", "yellow", "green", "yellow_green", "white", "black", "unknown"]


class ListQuery(PageQuery):
    status: str | None = Field(default=None, max_length=16, pattern="^(active|released)$")
    plate: str | None = Field(default=None, max_length=16)
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ManualListing(Schema):
    stored_as = (Vehicle,)
    vehicle_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    plate: str | None = Field(default=None, max_length=16)
    plate_color: PlateColor | None = None
    reason: str = Field(min_length=1, max_length=2000)


class Release(Schema):
    stored_as = (BlacklistEntry,)
    reason: str = Field(min_length=1, max_length=2000)


@bp.get("/blacklist")
@api_access(*READERS)
@operation(
    "黑名单记录（在列与已解除） / Blacklist entries (active and released), newest listing rules explained in words",
    query=ListQuery,
    resp={200: Page},
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


@bp.get("/blacklist/<int:entry_id>")
@api_access(*READERS)
@operation("单条黑名单记录及其证据 / One blacklist entry with its evidence", resp={200: Out})
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
    resp={201: Out},
)
def list_manually() -> Any:
    principal = principal_or_401()
    data = json_body(ManualListing)
    vehicle_id = data.vehicle_id or _vehicle_by_plate(data.plate, data.plate_color)
    entry = services.list_manually(vehicle_id, data.reason, principal.name)
    return jsonify(services.entry_json(entry)), 201


def _vehicle_by_plate(plate: str | None, colour: str | None) -> int:

    if not plate or not colour:
        raise Invalid("give vehicle_id, or plate and plate_color", {"vehicle_id": "required"})
    vehicle_id = db.session.scalar(select(Vehicle.id).where(Vehicle.plate == plate, Vehicle.plate_color == colour))
    if vehicle_id is None:
        raise NotFound("no registered vehicle with that plate and colour", {"plate": "unknown vehicle"})
    return int(vehicle_id)


@bp.post("/blacklist/<int:entry_id>/release")
@api_access(D.environment)
@operation(
    "人工解除黑名单（生态环境，须写明理由），其案件随之关闭 / "
    "Release an entry by hand (environment, reason required); its case is closed",
    json=Release,
    resp={200: Out},
)
def release(entry_id: int) -> Any:
    principal = principal_or_401()
    data = json_body(Release)
    entry = services.release_manually(entry_id, data.reason, principal.name)
    return jsonify(services.entry_json(entry))


class WithdrawalIn(Schema):
    stored_as = (EvidenceWithdrawal,)
    station: str = Field(min_length=1, max_length=32)
    device: str | None = Field(default=None, max_length=64)
    since: AwareDatetime
    until: AwareDatetime
    reason: str = Field(min_length=1, max_length=1000)


@bp.post("/evidence-withdrawals")
@api_access(D.environment)
@operation(
    "撤回某站点或某设备一段时间内的检测记录 / "
    "Withdraw a station's or one device's passes over a period (e.g. a failed calibration found later)",
    json=WithdrawalIn,
    resp={201: Out},
)
def post_withdrawal() -> Any:

    principal = principal_or_401()
    data = json_body(WithdrawalIn)
    withdrawal = withdrawals.withdraw(data.station, data.device, data.since, data.until, data.reason, principal.name)
    return jsonify(withdrawals.withdrawal_json(withdrawal)), 201
