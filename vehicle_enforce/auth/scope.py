"""Which rows a caller may see or change: one function, caller × query, for every list and lookup.

Two axes, both applied by `condition()`:

**County.** One deployment serves a city's counties (`auth.models.County`). A caller of a county (an
account or token with a county; a township account is in its township's county) sees only its county's
*per-county* rows (`COUNTY_OF`): cases, machinery (sites, machines, sampling plans and their items, spot
checks), phase-out quotas, actions and seen-again alerts, and its county's API tokens. A city-level
caller (no county: city staff, the CLI, tasks, the system) sees every county. What keeps a truck
stopped wherever it drives is *city-wide* (`CITY_WIDE`, no county condition): the vehicle registry and
matching, what stations send (passes, tests, captures, repairs), stations, and, outside this module
because they take no scope at all, the blacklist, the hotlist and the change feed. Station accounts
are not on the county axis: a station records what it measured or repaired of any truck of the city
(`inspections.queries.scope_to_caller` narrows them to their own records). `scoped()` refuses, for a
county caller, an entity on neither list, so a new table cannot forget to say which it is.

**Township.** A department-wide caller (environment, housing, police, transport, admin, the system) sees
its whole county (or the city). A township caller sees only rows that belong to its township: its
sites, machinery, plan items and spot checks, its vehicles, and what stations send (passes, tests,
captures, repairs) about its vehicles or from the stations in it. (A station caller is narrower still:
its own records, in `inspections.queries.scope_to_caller`.) `scoped(stmt, Entity)` adds both
conditions to any query over a registered entity; `get_or_404(Entity, id)` looks one row up the same way
and answers 404 for a row outside the caller's scope exactly as for a missing one, so ids of other
townships' records are not even confirmed to exist.

Three tables decide everything:

* `allowed_county(principal)` and `COUNTY_OF` / `CITY_WIDE`: the county axis above.
* `allowed_townships(principal)`: the townships a caller may see (None: all of its county).
* `TOWNSHIP_OF`: for each entity, the condition "this row belongs to one of these townships". A new
  table that townships may read gets one line here; `scoped()` refuses an entity it does not know for a
  restricted caller, so a new route cannot forget the scope silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from vehicle_enforce.auth.models import ApiToken, Department, Township
from vehicle_enforce.cases.models import Case
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.extensions import Model, db
from vehicle_enforce.inspections.models import BlackSmokeCapture, RemoteSensingPass, Repair, RoadsideTest, Station
from vehicle_enforce.nrmm.models import Machine, PlanItem, SamplingPlan, Site, SpotCheck
from vehicle_enforce.phaseout.models import PhaseoutAction, PhaseoutQuota, SeenAgainAlert
from vehicle_enforce.vehicles.models import Vehicle

T = TypeVar("T", bound=Model)
Ts = TypeVarTuple("Ts")

#: entity → (allowed township ids as a list) → SQL condition "the row belongs to one of them".
TOWNSHIP_OF: dict[type, Callable[[list[int]], ColumnElement[bool]]] = {}
#: entity → (the caller's county id) → SQL condition "the row is that county's" (per-county entities).
COUNTY_OF: dict[type, Callable[[int], ColumnElement[bool]]] = {}
#: Entities every county sees whole (see the module's doc): no county condition.
CITY_WIDE: frozenset[type] = frozenset({Vehicle, Station, RemoteSensingPass, RoadsideTest, BlackSmokeCapture, Repair})


def _register_counties() -> None:
    def townships_of(county: int) -> Any:
        return select(Township.id).where(Township.county_id == county)

    def sites_of(county: int) -> Any:
        return select(Site.id).where(Site.county_id == county)

    def plans_of(county: int) -> Any:
        return select(SamplingPlan.id).where(SamplingPlan.county_id == county)

    COUNTY_OF.update(
        {
            Township: lambda c: Township.county_id == c,
            ApiToken: lambda c: ApiToken.county_id == c,
            Site: lambda c: Site.county_id == c,
            Machine: lambda c: Machine.site_id.in_(sites_of(c)),
            SpotCheck: lambda c: SpotCheck.site_id.in_(sites_of(c)),
            # A county's plan, and the items of a city-level plan that sampled the county's machines.
            PlanItem: lambda c: or_(PlanItem.plan_id.in_(plans_of(c)), PlanItem.township_id.in_(townships_of(c))),
            SamplingPlan: lambda c: or_(
                SamplingPlan.county_id == c,
                SamplingPlan.id.in_(select(PlanItem.plan_id).where(PlanItem.township_id.in_(townships_of(c)))),
            ),
            Case: lambda c: Case.county_id == c,
            PhaseoutQuota: lambda c: PhaseoutQuota.township_id.in_(townships_of(c)),
            PhaseoutAction: lambda c: PhaseoutAction.township_id.in_(townships_of(c)),
            SeenAgainAlert: lambda c: SeenAgainAlert.vehicle_id.in_(
                select(PhaseoutAction.vehicle_id).where(PhaseoutAction.township_id.in_(townships_of(c)))
            ),
        }
    )


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
            Township: lambda ids: Township.id.in_(ids),
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


def allowed_county(principal: Actor) -> int | None:
    """The county whose per-county rows the caller may see; None: every county (city level, stations)."""
    if principal.department == Department.station:
        return None
    return principal.county_id


def allowed_townships(principal: Actor) -> list[int] | None:
    """Township ids the caller may see; None when the caller sees its whole county (or the city)."""
    p = principal
    if p.department == Department.township:
        return [p.township_id] if p.township_id is not None else []
    return None


def county_townships(principal: Actor) -> list[int] | None:
    """Township ids of the caller's county (its own township for a township caller); None: all."""
    ids = allowed_townships(principal)
    county = allowed_county(principal)
    if ids is not None or county is None:
        return ids
    return list(db.session.scalars(select(Township.id).where(Township.county_id == county)))


def _county_condition(entity: type, principal: Actor) -> ColumnElement[bool] | None:
    county = allowed_county(principal)
    if county is None or entity in CITY_WIDE:
        return None
    if not COUNTY_OF:
        _register_counties()
    if entity not in COUNTY_OF:
        raise LookupError(f"{entity.__name__} has no county scope rule (add it to auth.scope.COUNTY_OF or CITY_WIDE)")
    return COUNTY_OF[entity](county)


def _township_condition(entity: type, principal: Actor) -> ColumnElement[bool] | None:
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


def condition(entity: type, principal: Actor) -> ColumnElement[bool] | None:
    """The WHERE condition restricting `entity` to the caller, or None for an unrestricted caller."""
    parts = [c for c in (_county_condition(entity, principal), _township_condition(entity, principal)) if c is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else and_(*parts)


def restricted(principal: Actor) -> bool:
    """Whether the caller sees less than the whole city on some entity (a county or a township caller)."""
    return allowed_county(principal) is not None or allowed_townships(principal) is not None


def scoped(stmt: Select[*Ts], entity: type, principal: Actor) -> Select[*Ts]:
    """`stmt` restricted to the rows of `entity` the caller may see."""
    where = condition(entity, principal)
    return stmt if where is None else stmt.where(where)


def visible(entity: type[Model], row_id: int, principal: Actor) -> bool:
    """Whether the row `row_id` of `entity` exists and is in the caller's scope."""
    pk = entity.__mapper__.primary_key[0]
    return db.session.scalar(scoped(select(pk).where(pk == row_id), entity, principal)) is not None


def acts_on_listing(entry_id: int, principal: Actor) -> bool:
    """Whether the caller may act on a blacklist listing (release it). The blacklist is read city-wide,
    but acting on a listing acts on its case, which is its county's: a county caller acts on its
    county's listings only; the city level on every one."""
    county = allowed_county(principal)
    if county is None:
        return True
    mine = select(Case.id).where(Case.entry_id == entry_id, Case.county_id == county)
    return db.session.scalar(mine) is not None


def in_county(station: Station, principal: Actor) -> bool:
    """Whether a county caller may act on what a station sent as a whole (withdraw its evidence): the
    station stands in its county. The city level acts on every station."""
    county = allowed_county(principal)
    return county is None or station.county_id == county


def get_or_404(entity: type[T], row_id: int, principal: Actor, *, what: str | None = None) -> T:
    """The row, or 404 when it is missing or outside the caller's scope (the two are not told apart)."""
    row = db.session.get(entity, row_id)
    if row is None or (condition(entity, principal) is not None and not visible(entity, row_id, principal)):
        raise NotFound(f"{what or entity.__name__.lower()} {row_id} not found")
    return row
