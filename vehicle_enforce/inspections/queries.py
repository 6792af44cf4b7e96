"""Listings of what stations send, scoped to the stations the caller may see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute

from plates import normalize_plate
from vehicle_enforce.auth.models import Department
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import (
    BlackSmokeCapture,
    RemoteSensingPass,
    Repair,
    RoadsideTest,
    Station,
)

# --------------------------------------------------------------------------------------------------
# Listings and scoping


def scope_to_caller(stmt: Select[Any], station_column: Any, principal: Actor) -> Select[Any]:
    """Station callers see their station's records, township callers their township's stations'."""
    if principal.department == Department.station:
        return stmt.where(station_column == (principal.station_id or -1))
    if principal.department == Department.township:
        return stmt.where(
            station_column.in_(select(Station.id).where(Station.township_id == (principal.township_id or -1)))
        )
    return stmt


@dataclass
class PassFilter:
    plate: str | None = None
    plate_color: str | None = None
    station: str | None = None
    record_id: str | None = None
    verdict: str | None = None
    plate_status: str | None = None
    vehicle_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def passes_query(f: PassFilter, principal: Actor) -> Select[Any]:
    stmt = select(RemoteSensingPass)
    if f.plate:
        stmt = stmt.where(RemoteSensingPass.plate == normalize_plate(f.plate))
    if f.plate_color:
        stmt = stmt.where(RemoteSensingPass.plate_color == f.plate_color)
    if f.station:
        stmt = stmt.where(RemoteSensingPass.station_id.in_(select(Station.id).where(Station.code == f.station)))
    if f.record_id:
        stmt = stmt.where(RemoteSensingPass.record_id == f.record_id)
    if f.verdict:
        stmt = stmt.where(RemoteSensingPass.verdict == f.verdict)
    if f.plate_status:
        stmt = stmt.where(RemoteSensingPass.plate_status == f.plate_status)
    if f.vehicle_id is not None:
        stmt = stmt.where(RemoteSensingPass.vehicle_id == f.vehicle_id)
    if f.since:
        stmt = stmt.where(RemoteSensingPass.measured_at >= f.since)
    if f.until:
        stmt = stmt.where(RemoteSensingPass.measured_at < f.until)
    return scope_to_caller(stmt, RemoteSensingPass.station_id, principal)


def get_pass(pass_id: int, principal: Actor) -> RemoteSensingPass:
    found: RemoteSensingPass | None = db.session.scalar(
        passes_query(PassFilter(), principal).where(RemoteSensingPass.id == pass_id)
    )
    if found is None:
        raise NotFound(f"no pass {pass_id}")
    return found


def _station_records(
    model: type[RoadsideTest | BlackSmokeCapture | Repair],
    at: InstrumentedAttribute[datetime],
    fields: tuple[str, ...],
    principal: Actor,
    f: Mapping[str, Any],
) -> Select[Any]:
    """The records of one kind that stations send, filtered as their list endpoints allow: the plate
    (normalised), each of ``fields`` by equality, the sending station's code and ``since`` <= ``at``
    < ``until``; scoped to the stations the caller may see."""
    stmt = select(model)
    if f.get("plate"):
        stmt = stmt.where(model.plate == normalize_plate(f["plate"]))
    for name in fields:
        if f.get(name) is not None:
            stmt = stmt.where(getattr(model, name) == f[name])
    if f.get("station"):
        stmt = stmt.where(model.station_id.in_(select(Station.id).where(Station.code == f["station"])))
    if f.get("since"):
        stmt = stmt.where(at >= f["since"])
    if f.get("until"):
        stmt = stmt.where(at < f["until"])
    return scope_to_caller(stmt, model.station_id, principal)


def tests_query(principal: Actor, **f: Any) -> Select[Any]:
    return _station_records(
        RoadsideTest,
        RoadsideTest.tested_at,
        ("plate_color", "kind", "method", "verdict", "report_number", "vehicle_id"),
        principal,
        f,
    )


def captures_query(principal: Actor, **f: Any) -> Select[Any]:
    return _station_records(
        BlackSmokeCapture,
        BlackSmokeCapture.captured_at,
        ("plate_color", "review_status", "verdict", "vehicle_id"),
        principal,
        f,
    )


def repairs_query(principal: Actor, **f: Any) -> Select[Any]:
    return _station_records(Repair, Repair.repaired_at, ("plate_color", "vehicle_id", "repair_number"), principal, f)
