"""Listings of what stations send, scoped to the stations the caller may see."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import InstrumentedAttribute

from plates import normalize_plate
from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Department
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.core.timeutil import SHANGHAI
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import (
    BlackSmokeCapture,
    RemoteSensingPass,
    Repair,
    RoadsideTest,
    Station,
)
from vehicle_enforce.inspections.schemas import CaptureQuery, ListQuery, PassQuery, RepairQuery, TestQuery

StationRecord = RemoteSensingPass | RoadsideTest | BlackSmokeCapture | Repair

# --------------------------------------------------------------------------------------------------
# Listings and scoping


def scope_to_caller(stmt: Select[Any], model: type[StationRecord], principal: Actor) -> Select[Any]:
    """Station callers see their station's records; every other caller what `auth.scope` allows (a
    township: the records of its vehicles and of the stations in it)."""
    if principal.department == Department.station:
        return stmt.where(model.station_id == (principal.station_id or -1))
    return scope.scoped(stmt, model, principal)


def bound(value: datetime | date | None, *, end: bool = False) -> datetime | None:
    """A query time bound; a bare date means that Asia/Shanghai day (until: the whole day included)."""
    if value is None or isinstance(value, datetime):
        return value
    day = date.fromordinal(value.toordinal() + 1) if end else value
    return datetime.combine(day, time(0), SHANGHAI)


def passes_query(q: PassQuery | None, *, actor: Actor) -> Select[Any]:
    """The passes `actor` may see, filtered by the listing's query (None: all of them)."""
    stmt = select(RemoteSensingPass)
    if q is None:
        return scope_to_caller(stmt, RemoteSensingPass, actor)
    if q.plate:
        stmt = stmt.where(RemoteSensingPass.plate == normalize_plate(q.plate))
    if q.plate_color:
        stmt = stmt.where(RemoteSensingPass.plate_color == q.plate_color)
    if q.station:
        stmt = stmt.where(RemoteSensingPass.station_id.in_(select(Station.id).where(Station.code == q.station)))
    if q.record_id:
        stmt = stmt.where(RemoteSensingPass.record_id == q.record_id)
    if q.verdict:
        stmt = stmt.where(RemoteSensingPass.verdict == q.verdict)
    if q.plate_status:
        stmt = stmt.where(RemoteSensingPass.plate_status == q.plate_status)
    if q.vehicle_id is not None:
        stmt = stmt.where(RemoteSensingPass.vehicle_id == q.vehicle_id)
    since, until = bound(q.since), bound(q.until, end=True)
    if since:
        stmt = stmt.where(RemoteSensingPass.measured_at >= since)
    if until:
        stmt = stmt.where(RemoteSensingPass.measured_at < until)
    return scope_to_caller(stmt, RemoteSensingPass, actor)


def pending_captures_query(actor: Actor) -> Select[Any]:
    """Black-smoke captures waiting for the environment bureau's review that `actor` sees (the review
    page's list, and the count on its home page)."""
    stmt = select(BlackSmokeCapture).where(BlackSmokeCapture.review_status == "pending")
    return scope.scoped(stmt, BlackSmokeCapture, actor)


def get_pass(pass_id: int, *, actor: Actor) -> RemoteSensingPass:
    found: RemoteSensingPass | None = db.session.scalar(
        passes_query(None, actor=actor).where(RemoteSensingPass.id == pass_id)
    )
    if found is None:
        raise NotFound(f"no pass {pass_id}")
    return found


def _station_records(
    model: type[RoadsideTest | BlackSmokeCapture | Repair],
    at: InstrumentedAttribute[datetime],
    fields: tuple[str, ...],
    q: ListQuery | None,
    actor: Actor,
) -> Select[Any]:
    """The records of one kind that stations send, filtered as their list endpoints allow: the plate
    (normalised), each of ``fields`` by equality, the sending station's code and ``since`` <= ``at``
    < ``until``; scoped to the stations the caller may see."""
    stmt = select(model)
    if q is None:
        return scope_to_caller(stmt, model, actor)
    if q.plate:
        stmt = stmt.where(model.plate == normalize_plate(q.plate))
    for name in fields:
        value = getattr(q, name, None)
        if value is not None:
            stmt = stmt.where(getattr(model, name) == value)
    if q.station:
        stmt = stmt.where(model.station_id.in_(select(Station.id).where(Station.code == q.station)))
    since, until = bound(q.since), bound(q.until, end=True)
    if since:
        stmt = stmt.where(at >= since)
    if until:
        stmt = stmt.where(at < until)
    return scope_to_caller(stmt, model, actor)


def tests_query(q: TestQuery | None, *, actor: Actor) -> Select[Any]:
    return _station_records(
        RoadsideTest,
        RoadsideTest.tested_at,
        ("plate_color", "kind", "method", "verdict", "report_number", "vehicle_id"),
        q,
        actor,
    )


def captures_query(q: CaptureQuery | None, *, actor: Actor) -> Select[Any]:
    return _station_records(
        BlackSmokeCapture,
        BlackSmokeCapture.captured_at,
        ("plate_color", "review_status", "verdict", "vehicle_id"),
        q,
        actor,
    )


def get_capture(capture_id: int, *, actor: Actor) -> BlackSmokeCapture:
    found: BlackSmokeCapture | None = db.session.scalar(
        captures_query(None, actor=actor).where(BlackSmokeCapture.id == capture_id)
    )
    if found is None:
        raise NotFound(f"no black-smoke capture {capture_id}")
    return found


def repairs_query(q: RepairQuery | None, *, actor: Actor) -> Select[Any]:
    return _station_records(Repair, Repair.repaired_at, ("plate_color", "vehicle_id", "repair_number"), q, actor)
