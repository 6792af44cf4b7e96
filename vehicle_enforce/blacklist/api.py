"""JSON API: the blacklist (environment lists and releases by hand) and the police hotlist."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.blacklist import answers, hotlist, services, withdrawals
from vehicle_enforce.blacklist.models import BlacklistEntry, EvidenceWithdrawal, HotlistLookup
from vehicle_enforce.core.errors import Invalid, NotFound
from vehicle_enforce.core.openapi import Listing, Out, Page, json_body, operation, query_args
from vehicle_enforce.core.pagination import PageQuery, page, page_json
from vehicle_enforce.core.schemas import QuerySchema, Schema, parse_batch
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


class CheckQuery(QuerySchema):
    plate: str = Field(min_length=1, max_length=16)
    plate_color: PlateColor | None = None
    reason: str = Field(min_length=1, max_length=256)
    location: str | None = Field(default=None, max_length=256)


class ReadIn(BaseModel):
    plate: str = Field(max_length=16)
    plate_color: PlateColor | None = None
    seen_at: AwareDatetime | None = None
    location: str | None = Field(default=None, max_length=256)


class BatchCheck(Schema):
    stored_as = (HotlistLookup,)
    reads: list[ReadIn] = Field(min_length=1, max_length=1000)
    # Why the lookup is made; a checkpoint camera's code counts as one (recorded as "卡口抓拍比对（卡口 …）").
    reason: str | None = Field(default=None, max_length=200)
    checkpoint: str | None = Field(default=None, min_length=1, max_length=48)


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


@bp.get("/hotlist/check")
@api_access(D.police, bearer_only=True)  # recorded: a page session cannot run it (cross-site requests)
@operation(
    "卡口查询单个号牌（须写明事由并记录） / Check one plate at a checkpoint (reason required and recorded)",
    query=CheckQuery,
    description="A text that cannot be a GA 36 plate gets 422 naming what is wrong.\n\n"
    + answers.openapi_description(),
    resp={200: Out},
)
def check_one() -> Any:
    principal = principal_or_401()
    q = query_args(CheckQuery)
    problem = hotlist.plate_problem(q.plate)
    if problem is not None:
        raise Invalid(problem, {"plate": problem})
    [result] = hotlist.check(
        [hotlist.Read(q.plate, q.plate_color, None, q.location)], principal, reason=q.reason, mode="single"
    )
    return jsonify(result)


@bp.post("/hotlist/check")
@api_access(D.police)
@operation(
    "卡口批量比对（至多 1,000 条，须写明事由或卡口编号并记录） / "
    "Check a checkpoint camera's batch of up to 1,000 reads (reason or checkpoint code required and recorded)",
    body_schema=BatchCheck,
    batch=True,
    description="Each item of `results` carries `index` and `status`: `ok` with the answer below, or `invalid` "
    "with `error` {field, code, message} for a text that cannot be a GA 36 plate.\n\n" + answers.openapi_description(),
    resp={200: Listing},
)
def check_batch() -> Any:
    principal = principal_or_401()
    data = parse_batch(BatchCheck)  # one pass over the raw body; the answer is not validated again
    reason = _batch_reason(data)
    reads = [hotlist.Read(r.plate, r.plate_color, _aware(r.seen_at), r.location) for r in data.reads]
    results = hotlist.check(reads, principal, reason=reason, mode="batch")
    return jsonify({"results": results})


def _batch_reason(data: BatchCheck) -> str:
    reason = (data.reason or "").strip()
    checkpoint = (data.checkpoint or "").strip()
    if not reason and not checkpoint:
        message = "批量比对须说明查询事由（reason）或卡口编号（checkpoint）"
        raise Invalid(message, {"reason": message})
    if checkpoint:
        return f"{reason or '卡口抓拍比对'}（卡口 {checkpoint}）"
    return reason


def _aware(value: datetime | None) -> datetime | None:
    return value


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
