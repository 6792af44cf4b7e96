"""NRMM rules: registration, overdue registrations, monthly sampling, spot checks and violations.

Sampling: at least `share` (default 10%) of active machines, spread across townships in proportion to
their machines (largest-remainder allocation), at least one machine per site that has machines, drawn
with a recorded seed so the same seed gives the same plan. Spot checks are judged by GB 36886 through
`remote_sensing.judge_nrmm`: class I for 国一 and older, class II for 国二 and newer, and the zone's
class (usually III) inside a low-emission control zone.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, true

from remote_sensing import judge_nrmm
from remote_sensing.rules import PenaltyBasis
from vehicle_enforce import signals
from vehicle_enforce.alerts import services as alert_services
from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import County, Township
from vehicle_enforce.auth.services import county_of_place
from vehicle_enforce.cases.penalties import bases_in_force
from vehicle_enforce.cases.procedure import check_officers
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Conflict, Invalid
from vehicle_enforce.core.timeutil import SHANGHAI, local_day, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.nrmm.models import Machine, PlanItem, SamplingPlan, Site, SpotCheck
from vehicle_enforce.nrmm.schemas import (
    MachineIn,
    MachineOut,
    PlanDetailOut,
    PlanIn,
    PlanOut,
    SiteIn,
    SiteOut,
    SpotCheckIn,
    SpotCheckOut,
    dump,
)

REGISTRATION_DAYS = 30


def next_env_code() -> str:
    """Generate a registration code in the configured format (`NRMM_CODE_FORMAT`, `{region}` and `{seq}`)."""
    fmt = current_app.config.get("NRMM_CODE_FORMAT") or "{region}-NR-{seq:06d}"
    seq = (db.session.scalar(select(func.max(Machine.id))) or 0) + 1
    return str(fmt).format(region=current_app.config.get("REGION_CODE") or "000000", seq=seq)


def add_site(data: SiteIn, *, actor: Actor) -> Site:
    """Add a site (a construction site, a depot...) under a name not yet taken, audited."""
    if db.session.scalar(select(Site.id).where(Site.name == data.name)) is not None:
        raise Conflict("a site with that name exists", {"name": "already exists"})
    township = db.session.get(Township, data.township_id) if data.township_id is not None else None
    if data.township_id is not None and (township is None or not scope.visible(Township, data.township_id, actor)):
        raise Invalid("unknown township", {"township_id": "unknown township"})
    county_id = county_of_place(township, data.county, actor=actor)
    values = {**data.model_dump(exclude={"county"}), "county_id": county_id}
    site = Site(**values)
    db.session.add(site)
    db.session.flush()
    audit.record("nrmm.site", "nrmm_site", site.id, values, actor=actor)
    return site


def check_site(site_id: int | None, *, actor: Actor) -> None:
    """A site named by a caller must exist and be the caller's; a township or county caller must name
    one (a machine it registers is at a site of its own)."""
    if site_id is not None and not scope.visible(Site, site_id, actor):
        raise Invalid("unknown site", {"site_id": "unknown site"})
    if site_id is None and scope.condition(Site, actor) is not None:
        raise Invalid("a township or county acts only at sites of its own", {"site_id": "required"})


def register_machine(data: MachineIn, *, actor: Actor) -> Machine:
    check_site(data.site_id, actor=actor)
    if data.fuel != "electric" and data.emission_stage not in (1, 2, 3, 4):
        raise Invalid("emission stage 1–4 is required for fuelled machines", {"emission_stage": "1–4 (国一…国四)"})
    if db.session.scalar(select(Machine.id).where(Machine.pin == data.pin)) is not None:
        raise Conflict(f"a machine with PIN {data.pin} is registered", {"pin": "already registered"})
    code = data.env_code or next_env_code()
    if db.session.scalar(select(Machine.id).where(Machine.env_code == code)) is not None:
        raise Conflict(f"registration code {code} is taken", {"env_code": "already used"})
    registered_on = data.registered_on or local_day(now_utc())
    machine = Machine(**{**data.model_dump(), "env_code": code, "registered_on": registered_on})
    db.session.add(machine)
    db.session.flush()
    audit.record(
        "nrmm.register",
        "nrmm_machine",
        machine.id,
        {"env_code": code, "pin": machine.pin},
        actor=actor,
    )
    signals.send_record("nrmm_registration", machine.id, machine_json(machine))
    return machine


def overdue_registrations(*, actor: Actor) -> list[Machine]:
    """Machines `actor` may see registered more than 30 days after purchase or transfer-in (late)."""
    stmt = scope.scoped(select(Machine).where(Machine.acquired_on.is_not(None)).order_by(Machine.id), Machine, actor)
    rows = db.session.scalars(stmt)
    return [m for m in rows if m.acquired_on and (m.registered_on - m.acquired_on).days > REGISTRATION_DAYS]


def create_plan(data: PlanIn, *, actor: Actor) -> SamplingPlan:
    month, share = data.month, data.share
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        raise Invalid("month must be YYYY-MM", {"month": "YYYY-MM"}) from None
    # A county's officer draws its county's plan over its county's machines; the city level, the city's.
    county_id = scope.allowed_county(actor)
    same_county = SamplingPlan.county_id.is_(None) if county_id is None else SamplingPlan.county_id == county_id
    if db.session.scalar(select(SamplingPlan.id).where(SamplingPlan.month == month, same_county)) is not None:
        raise Conflict(f"the plan for {month} exists", {"month": "already planned"})
    seed = data.seed if data.seed is not None else random.SystemRandom().randrange(2**31)
    population = (
        select(Machine.id, Machine.site_id, Site.township_id)
        .outerjoin(Site, Site.id == Machine.site_id)
        .where(Machine.status == "active", Machine.registered_on < first + timedelta(days=31))
        .order_by(Machine.id)
    )
    rows = db.session.execute(scope.scoped(population, Machine, actor)).all()
    chosen = sample(rows, share, seed)
    plan = SamplingPlan(
        month=month, county_id=county_id, seed=seed, share=share, population=len(rows), created_by=actor.name
    )
    db.session.add(plan)
    db.session.flush()
    township_of = {r[0]: r[2] for r in rows}
    if chosen:
        db.session.execute(
            PlanItem.__table__.insert(),
            [{"plan_id": plan.id, "machine_id": m, "township_id": township_of[m], "status": "pending"} for m in chosen],
        )
    audit.record(
        "nrmm.plan", "nrmm_sampling_plan", plan.id, {"month": month, "seed": seed, "size": len(chosen)}, actor=actor
    )
    return plan


def sample(rows: Sequence[Any], share: float, seed: int) -> list[int]:
    """Stratified draw: largest-remainder allocation by township, then at least one per site."""
    if not rows:
        return []
    rng = random.Random(seed)
    target = math.ceil(len(rows) * share)
    by_township: dict[Any, list[int]] = defaultdict(list)
    for machine_id, _site, township in rows:
        by_township[township].append(machine_id)
    quotas = {t: len(ids) * target / len(rows) for t, ids in by_township.items()}
    alloc = {t: math.floor(q) for t, q in quotas.items()}
    remainder = target - sum(alloc.values())
    for t in sorted(quotas, key=lambda t: (-(quotas[t] - alloc[t]), str(t)))[:remainder]:
        alloc[t] += 1
    chosen: set[int] = set()
    for t in sorted(by_township, key=str):
        chosen.update(rng.sample(by_township[t], min(alloc[t], len(by_township[t]))))
    by_site: dict[int, list[int]] = defaultdict(list)
    for machine_id, site, _township in rows:
        if site is not None:
            by_site[site].append(machine_id)
    for site in sorted(by_site):
        if not chosen.intersection(by_site[site]):
            chosen.add(rng.choice(by_site[site]))
    return sorted(chosen)


def emission_class(stage: int | None, site: Site | None) -> str:
    if site is not None and site.low_emission_zone and site.zone_class:
        return site.zone_class
    return "I" if (stage or 0) <= 1 else "II"


def record_spot_check(data: SpotCheckIn, *, actor: Actor) -> SpotCheck:
    machine = None
    if data.machine_id:
        machine = db.session.get(Machine, data.machine_id)
        if machine is None or not scope.visible(Machine, machine.id, actor):
            raise Invalid("unknown machine", {"machine_id": "unknown machine"})
    elif data.pin:
        machine = db.session.scalar(select(Machine).where(Machine.pin == data.pin))
        if machine is not None and not scope.visible(Machine, machine.id, actor):
            # Not "unregistered": that would fine a registered machine. The county decides instead.
            raise Invalid(
                "this PIN is registered at a site outside your township; ask the environment department",
                {"pin": "registered outside your township"},
            )
    else:
        raise Invalid("give machine_id or the PIN found on site", {"pin": "required"})
    if data.site_id and not scope.visible(Site, data.site_id, actor):
        raise Invalid("unknown site", {"site_id": "unknown site"})
    site = db.session.get(Site, data.site_id) if data.site_id else (machine.site if machine else None)
    if site is None and scope.condition(Site, actor) is not None:
        raise Invalid("a township or county records checks at a site of its own", {"site_id": "required"})
    power = machine.rated_power_kw if machine else data.rated_power_kw
    if power is None:
        raise Invalid("rated power is needed to judge an unregistered machine", {"rated_power_kw": "required"})
    stage = machine.emission_stage if machine else data.emission_stage
    try:
        verdict = judge_nrmm(
            data.k_readings,
            data.ringelmann,
            emission_class(stage, site),
            power,
            on=local_day(data.checked_at),
            region=current_app.config.get("REGION_CODE"),
        )
    except ValueError as exc:  # an impossible reading (negative, NaN, beyond the instrument)
        raise Invalid(f"readings cannot be judged: {exc}", {"k_readings": str(exc)}) from None
    violations = []
    if any(e.item == "k" for e in verdict.exceeded):
        violations.append("exceeding")
    if any(e.item == "ringelmann" for e in verdict.exceeded):
        violations.append("black_smoke")
    if machine is None:
        violations.append("unregistered")
    electric = machine is not None and machine.fuel == "electric"
    zone_minimum = site.zone_min_stage if site is not None and site.low_emission_zone else None
    if zone_minimum and not electric and (stage or 0) < zone_minimum:
        violations.append("below_zone_stage")
    # The machinery measure of the alert in force (orange/red: 国二 and older stop) makes using one a violation.

    stopped = (
        None
        if electric
        else alert_services.nrmm_stage_restricted(stage, site.township_id if site else None, data.checked_at)
    )
    if stopped is not None:
        violations.append("alert_stage_stop")
    # The alert measure is enforced under the county's emergency plan: it suggests no penalty basis by
    # itself (suggested_basis maps the emission violations only).
    officers = None
    if data.enforcement or data.officers:
        officers = check_officers(
            {"officers": [o.model_dump() for o in data.officers or []]}, 2 if data.enforcement else 1
        )
    check = SpotCheck(
        enforcement=data.enforcement,
        officers=officers,
        machine_id=machine.id if machine else None,
        pin=data.pin or (machine.pin if machine else None),
        site_id=site.id if site else None,
        checked_at=data.checked_at,
        inspector=actor.name,
        k_readings=list(data.k_readings),
        ringelmann=data.ringelmann,
        verdict=verdict.verdict,
        limit_set=verdict.limit_set,
        exceeded=[{"item": e.item, "value": e.value, "limit": e.limit} for e in verdict.exceeded],
        violations=violations,
    )
    # The spot check only suggests a basis; the department the basis names imposes the penalty.
    basis = suggested_basis(violations, local_day(data.checked_at))
    check.penalty_yuan = basis.fixed_yuan if basis is not None else None
    check.legal_basis = basis.citation if basis is not None else None
    db.session.add(check)
    db.session.flush()
    if machine is not None:
        for item in db.session.scalars(
            select(PlanItem).where(PlanItem.machine_id == machine.id, PlanItem.status == "pending")
        ):
            item.status = "checked"
    audit.record(
        "nrmm.spot_check",
        "nrmm_spot_check",
        check.id,
        {"violations": violations, "verdict": check.verdict},
        actor=actor,
    )
    signals.send_record("nrmm_spot_check", check.id, spot_check_json(check))
    if stopped is not None:
        audit.record("nrmm.alert_violation", "nrmm_spot_check", check.id, stopped, actor=actor)
    return check


# Which penalty basis (the rules' penalty_bases) each violation suggests; a low-emission-zone violation
# needs a local rule (an entry with `local` set that applies to machinery) configured by the county.
VIOLATION_BASES = {"exceeding": "apl_114_1", "black_smoke": "apl_114_1"}


def suggested_basis(violations: list[str], on: date) -> PenaltyBasis | None:
    """The penalty basis a spot check suggests for its violations, or None when no basis covers them."""

    bases = {b.name: b for b in bases_in_force("machinery", on)}
    for violation in violations:
        name = VIOLATION_BASES.get(violation)
        if name in bases:
            return bases[name]
    if "below_zone_stage" in violations:
        return next((b for b in bases.values() if b.local), None)
    return None


def mark_not_found(item_id: int, *, actor: Actor) -> PlanItem:
    """Record that a sampled machine was not found; a machine already checked stays checked."""
    item = scope.get_or_404(PlanItem, item_id, actor, what="plan item")
    db.session.refresh(item, with_for_update=True)  # a spot check marking it checked meanwhile wins
    if item.status == "checked":
        raise Conflict("this machine has already been spot-checked", {"status": "checked"})
    if item.status == "not_found":
        return item  # a retried request changes nothing
    item.status = "not_found"
    audit.record("nrmm.not_found", "nrmm_plan_item", item.id, actor=actor)
    return item


def machine_json(m: Machine) -> dict[str, Any]:
    """A registration as the API, the export, the pages and the change feed write it (`MachineOut`)."""
    return dump(MachineOut, m)


def spot_check_json(c: SpotCheck) -> dict[str, Any]:
    return dump(SpotCheckOut, c)


def site_json(s: Site) -> dict[str, Any]:
    return dump(SiteOut, s)


def plan_of_month(month: str, *, actor: Actor) -> SamplingPlan | None:
    """The month's plan `actor` sees: its county's own before a city-level one (a county caller sees a
    city plan that sampled its machines too); the city level, its city plan before a county's."""
    own = scope.allowed_county(actor)
    stmt = scope.scoped(select(SamplingPlan).where(SamplingPlan.month == month), SamplingPlan, actor)
    mine = SamplingPlan.county_id.is_(None) if own is None else SamplingPlan.county_id == own
    return db.session.scalar(stmt.order_by(mine.desc(), SamplingPlan.id).limit(1))


def item_townships(p: SamplingPlan, actor: Actor) -> list[int] | None:
    """The townships whose items of plan `p` the actor sees (None: every item). A township sees its
    township's items; a county its own plan whole, and a city plan's items of its townships."""
    if scope.allowed_townships(actor) is None and scope.allowed_county(actor) in (None, p.county_id):
        return None
    return scope.county_townships(actor) or []


def _items_shown(p: SamplingPlan, actor: Actor) -> list[PlanItem]:
    allowed = item_townships(p, actor)
    return list(p.items) if allowed is None else [i for i in p.items if i.township_id in allowed]


def this_month() -> str:
    """The current Beijing month, `YYYY-MM`: the month whose plan the pages work."""
    return local_day(now_utc()).strftime("%Y-%m")


def _with_status(items: list[PlanItem], status: str | None) -> list[PlanItem]:
    return items if not status else [i for i in items if i.status == status]


def plan_items(month: str, *, actor: Actor, status: str | None = None) -> list[PlanItem]:
    """The items of the month's plan `actor` sees, of one status if given (`pending`: machines still
    due for their spot check): the plan table's rows with ?item_status=, and the home page's count."""
    plan = plan_of_month(month, actor=actor)
    return [] if plan is None else _with_status(_items_shown(plan, actor), status)


def _item_json(item: PlanItem) -> dict[str, Any]:
    m = item.machine
    return {
        "id": item.id,
        "machine_id": item.machine_id,
        "township_id": item.township_id,
        "status": item.status,
        "env_code": m.env_code,
        "pin": m.pin,
        "machine_type": m.machine_type,
        "site": m.site.name if m.site else None,
        "township": item.township.name if item.township else None,
        "owner": m.owner.name if m.owner else None,
    }


def plan_json(p: SamplingPlan, *, actor: Actor, items: bool = False, status: str | None = None) -> dict[str, Any]:
    """A plan as `actor` may see it: a township sees and counts only its own township's items."""
    shown = _items_shown(p, actor)
    counts: dict[str, int] = defaultdict(int)
    for item in shown:
        counts[item.status] += 1
    values = {
        "id": p.id,
        "month": p.month,
        "county_id": p.county_id,
        "seed": p.seed,
        "share": p.share,
        "population": p.population,
        "size": len(shown),
        "status_counts": dict(counts),
    }
    if items:
        return dump(PlanDetailOut, {**values, "items": [_item_json(i) for i in _with_status(shown, status)]})
    return dump(PlanOut, values)


def progress(month: str, *, actor: Actor) -> dict[str, Any]:
    """Machinery progress per county for a month: sites and active machines registered, the month's
    sampling (planned, checked, not found, pending) and spot checks with violations.

    The city level gets every county (and a row of no county for what is placed in none); a county's
    caller, its own county. A machine's county is its site's; a check's, the site where it was made."""
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        raise Invalid("month must be YYYY-MM", {"month": "YYYY-MM"}) from None
    after = (first + timedelta(days=32)).replace(day=1)
    start, end = (datetime.combine(d, datetime.min.time(), SHANGHAI) for d in (first, after))
    own = scope.allowed_county(actor)
    counties = db.session.scalars(
        select(County).where(County.id == own if own is not None else true()).order_by(County.code)
    ).all()
    rows: dict[int | None, dict[str, Any]] = {
        c.id: {"county_id": c.id, "county_code": c.code, "county": c.name} for c in counties
    }
    if own is None:
        rows[None] = {"county_id": None, "county_code": None, "county": None}
    for row in rows.values():
        row.update(sites=0, machines=0, planned=0, checked=0, not_found=0, pending=0, spot_checks=0, violations=0)

    def add(key: str, stmt: Any) -> None:
        for county_id, n in db.session.execute(stmt):
            if county_id in rows:
                rows[county_id][key] += int(n)

    add("sites", select(Site.county_id, func.count()).group_by(Site.county_id))
    add(
        "machines",
        select(Site.county_id, func.count())
        .select_from(Machine)
        .outerjoin(Site, Site.id == Machine.site_id)
        .where(Machine.status == "active")
        .group_by(Site.county_id),
    )
    items = db.session.execute(
        select(Site.county_id, PlanItem.status, func.count())
        .select_from(PlanItem)
        .join(SamplingPlan, SamplingPlan.id == PlanItem.plan_id)
        .join(Machine, Machine.id == PlanItem.machine_id)
        .outerjoin(Site, Site.id == Machine.site_id)
        .where(SamplingPlan.month == month)
        .group_by(Site.county_id, PlanItem.status)
    )
    for county_id, status, n in items:
        if county_id in rows:
            rows[county_id]["planned"] += int(n)
            if status in ("checked", "not_found", "pending"):
                rows[county_id][status] += int(n)
    checks = db.session.execute(
        select(Site.county_id, SpotCheck.violations)
        .select_from(SpotCheck)
        .outerjoin(Site, Site.id == SpotCheck.site_id)
        .where(SpotCheck.checked_at >= start, SpotCheck.checked_at < end)
    )
    for county_id, violations in checks:  # a month's checks: hundreds, tallied here
        if county_id in rows:
            rows[county_id]["spot_checks"] += 1
            rows[county_id]["violations"] += 1 if violations else 0
    shown = [r for key, r in rows.items() if key is not None or any(r[k] for k in ("sites", "machines", "planned"))]
    for r in shown:
        r["checked_share"] = round(r["checked"] / r["planned"], 4) if r["planned"] else None
    return {"month": month, "counties": shown}
