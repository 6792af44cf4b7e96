"""Which rows a caller may see or change: one function, caller × query, for every list and lookup.

A department-wide caller (environment, housing, police, transport, admin, the system) sees the whole
county. A township caller sees only rows that belong to its township: its sites, machinery, plan items
and spot checks, its vehicles, and what stations send (passes, tests, captures, repairs) about its
vehicles or from the stations in it. (A station caller is narrower still: its own records, in
`inspections.queries.scope_to_caller`.) `scoped(stmt, Entity)` adds that
condition to any query over a registered entity; `get_or_404(Entity, id)` looks one row up the same way
and answers 404 for a row outside the caller's scope exactly as for a missing one, so ids of other
townships' records are not even confirmed to exist.

Two tables decide everything:

* `allowed_townships(principal)`: the townships a caller may see (None: all). A county axis is added
  here only: a county caller gets the townships of its county.
* `TOWNSHIP_OF`: for each entity, the condition "this row belongs to one of these townships". A new
  table that townships may read gets one line here; `scoped()` refuses an entity it does not know for a
  restricted caller, so a new route cannot forget the scope silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, or_, select

from vehicle_enforce.auth.models import Department
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.extensions import Model, db
from vehicle_enforce.inspections.models import BlackSmokeCapture, RemoteSensingPass, Repair, RoadsideTest, Station
from vehicle_enforce.nrmm.models import Machine, PlanItem, SamplingPlan, Site, SpotCheck
from vehicle_enforce.vehicles.models import Vehicle

T = TypeVar("T", bound=Model)

#: entity → (allowed township ids as a list) → SQL condition "the row belongs to one of them".
TOWNSHIP_OF: dict[type, Callable[[list[int]], ColumnElement[bool]]] = {}


def _register() -> None:

    def sites_of(ids: list[int]) -> Any:
        return select(Site.id).where(Site.township_id.in_(ids))

    TOWNSHIP_OF.update(
        {
            Site: lambda ids: Site.township_id.in_(ids),
            Machine: lambda ids: Machine.site_id.in_(sites_of(ids)),
            PlanItem: lambda ids: PlanItem.township_id.in_(ids),
            # A plan is the county's; a township sees the plans that sampled machines of its township.
            SamplingPlan: lambda ids: SamplingPlan.id.in_(
                select(PlanItem.plan_id).where(PlanItem.township_id.in_(ids))
            ),
            # A check belongs to the township of the site where it was made (the machine's site by default).
            SpotCheck: lambda ids: SpotCheck.site_id.in_(sites_of(ids)),
            Vehicle: lambda ids: Vehicle.township_id.in_(ids),
            Station: lambda ids: Station.township_id.in_(ids),
        }
    )

    def stations_of(ids: list[int]) -> Any:
        return select(Station.id).where(Station.township_id.in_(ids))

    def vehicles_of(ids: list[int]) -> Any:
        return select(Vehicle.id).where(Vehicle.township_id.in_(ids))

    # What stations send (passes, roadside and I站 tests, black-smoke captures, repairs): a township follows
    # up the vehicles registered in it wherever they were measured, and sees what the stations on its own
    # roads measured, whoever drove past. Another township's vehicle at another township's station is not
    # its business (nor is an unmatched plate there).
    def sent_about(record: Any) -> Callable[[list[int]], ColumnElement[bool]]:
        def rule(ids: list[int]) -> ColumnElement[bool]:
            return or_(record.station_id.in_(stations_of(ids)), record.vehicle_id.in_(vehicles_of(ids)))

        return rule

    for record in (RemoteSensingPass, RoadsideTest, BlackSmokeCapture, Repair):
        TOWNSHIP_OF[record] = sent_about(record)


def allowed_townships(principal: Actor) -> list[int] | None:
    """Township ids the caller may see; None when the caller sees the whole county."""
    p = principal
    if p.department == Department.township:
        return [p.township_id] if p.township_id is not None else []
    return None


def condition(entity: type, principal: Actor) -> ColumnElement[bool] | None:
    """The WHERE condition restricting `entity` to the caller, or None for an unrestricted caller."""
    ids = allowed_townships(principal)
    if ids is None:
        return None
    if not TOWNSHIP_OF:
        _register()
    if entity not in TOWNSHIP_OF:
        raise LookupError(f"{entity.__name__} has no township scope rule (add it to auth.scope.TOWNSHIP_OF)")
    if not ids:
        return false()
    return TOWNSHIP_OF[entity](ids)


def scoped(stmt: Select[Any], entity: type, principal: Actor) -> Select[Any]:
    """`stmt` restricted to the rows of `entity` the caller may see."""
    where = condition(entity, principal)
    return stmt if where is None else stmt.where(where)


def visible(entity: type[Model], row_id: int, principal: Actor) -> bool:
    """Whether the row `row_id` of `entity` exists and is in the caller's scope."""
    pk = entity.__mapper__.primary_key[0]
    return db.session.scalar(scoped(select(pk).where(pk == row_id), entity, principal)) is not None


def get_or_404(entity: type[T], row_id: int, principal: Actor, *, what: str | None = None) -> T:
    """The row, or 404 when it is missing or outside the caller's scope (the two are not told apart)."""
    row = db.session.get(entity, row_id)
    if row is None or (allowed_townships(principal) is not None and not visible(entity, row_id, principal)):
        raise NotFound(f"{what or entity.__name__.lower()} {row_id} not found")
    return row
