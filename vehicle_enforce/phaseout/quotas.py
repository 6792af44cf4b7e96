"""Phase-out periods, milestones and township quotas.

Plain functions: they flush, never commit, and raise `core.errors` refusals.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import Township
from vehicle_enforce.auth.services import township_by_name_or_code
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Forbidden, Invalid
from vehicle_enforce.extensions import db
from vehicle_enforce.phaseout.models import (
    PhaseoutPeriod,
    PhaseoutQuota,
)
from vehicle_enforce.phaseout.rules import Milestone, PhaseoutRules, current_rules
from vehicle_enforce.phaseout.schemas import MilestoneOut, PeriodOut, QuotaOut, QuotasIn

# --- periods, milestones and quotas ------------------------------------------------------------


def milestones_of(period: PhaseoutPeriod | None, rules: PhaseoutRules) -> list[Milestone]:
    if period is None or not period.milestones:
        return list(rules.default_milestones)
    return [
        Milestone(date.fromisoformat(m["due"]), float(m["percent"]), m.get("source", "transport"))
        for m in period.milestones
    ]


def _check_milestones(milestones: Sequence[Milestone], starts_on: date) -> None:
    if not milestones:
        raise Invalid("a period needs at least one milestone", {"milestones": "at least one milestone"})
    previous: Milestone | None = None
    for i, m in enumerate(milestones):
        if not 0 < m.percent <= 100:
            raise Invalid(
                "milestone percent must be above 0 and at most 100", {f"milestones.{i}.percent": "0 < p ≤ 100"}
            )
        if m.due <= starts_on:
            raise Invalid("a milestone must fall after the period starts", {f"milestones.{i}.due": "before start"})
        if previous is not None and (m.due <= previous.due or m.percent < previous.percent):
            raise Invalid(
                "milestones must be in date order with non-decreasing percentages",
                {f"milestones.{i}": "out of order"},
            )
        previous = m


def set_quotas(data: QuotasIn, *, actor: Actor) -> PhaseoutPeriod:
    """Create or update a period and the quotas named; unchanged values write nothing (safe to retry)."""
    period_code, quotas, starts_on = data.period, data.quotas, data.starts_on
    if actor.county_id is not None and (data.starts_on is not None or data.milestones is not None):
        # The period and its milestones are the city's (one deadline for every county); a county sets
        # its own townships' quotas.
        raise Forbidden("only the city level sets a period's start and milestones; a county sends quotas only")
    milestones = [(m.due, m.percent) for m in data.milestones] if data.milestones is not None else None
    rules = current_rules()
    period = db.session.scalar(select(PhaseoutPeriod).where(PhaseoutPeriod.code == period_code))
    new_milestones = (
        [Milestone(due, float(percent), "transport") for due, percent in sorted(milestones)]
        if milestones is not None
        else None
    )
    if period is None:
        if starts_on is None:
            if period_code != rules.default_period:
                raise Invalid("a new period needs its start date", {"starts_on": "required for a new period"})
            starts_on = rules.default_period_start
        chosen = new_milestones if new_milestones is not None else list(rules.default_milestones)
        _check_milestones(chosen, starts_on)
        period = PhaseoutPeriod(code=period_code, starts_on=starts_on, milestones=[m.as_json() for m in chosen])
        db.session.add(period)
        db.session.flush()
        audit.record(
            "phaseout.period_create",
            "phaseout_period",
            period.id,
            {"code": period_code, "starts_on": starts_on, "milestones": period.milestones},
            actor=actor,
        )
    else:
        changes: dict[str, Any] = {}
        target_start = starts_on or period.starts_on
        chosen = new_milestones if new_milestones is not None else milestones_of(period, rules)
        _check_milestones(chosen, target_start)
        if target_start != period.starts_on:
            changes["starts_on"] = [period.starts_on, target_start]
            period.starts_on = target_start
        as_json = [m.as_json() for m in chosen]
        if new_milestones is not None and as_json != period.milestones:
            changes["milestones"] = [period.milestones, as_json]
            period.milestones = as_json
        if changes:
            audit.record(
                "phaseout.period_update", "phaseout_period", period.id, {"code": period_code, **changes}, actor=actor
            )

    seen: set[int] = set()
    existing = {
        q.township_id: q for q in db.session.scalars(select(PhaseoutQuota).where(PhaseoutQuota.period_id == period.id))
    }
    for i, item in enumerate(quotas):
        try:
            township = township_by_name_or_code(item.township)
        except Invalid:
            raise Invalid(f"unknown township '{item.township}'", {f"quotas.{i}.township": "unknown township"}) from None
        if not scope.visible(Township, township.id, actor):  # a county sets its own townships' quotas
            raise Invalid(
                f"township '{item.township}' is not in the caller's county",
                {f"quotas.{i}.township": "不是本县（市、区）的乡镇"},
            )
        if township.id in seen:
            raise Invalid("a township appears twice", {f"quotas.{i}.township": "duplicate township"})
        seen.add(township.id)
        if item.quota < 0:
            raise Invalid("a quota cannot be negative", {f"quotas.{i}.quota": "must be ≥ 0"})
        row = existing.get(township.id)
        if row is None:
            row = PhaseoutQuota(period_id=period.id, township_id=township.id, quota=item.quota)
            db.session.add(row)
            db.session.flush()
            audit.record(
                "phaseout.quota_set",
                "phaseout_quota",
                row.id,
                {"period": period_code, "township": township.name, "quota": [None, item.quota]},
                actor=actor,
            )
        elif row.quota != item.quota:
            audit.record(
                "phaseout.quota_set",
                "phaseout_quota",
                row.id,
                {"period": period_code, "township": township.name, "quota": [row.quota, item.quota]},
                actor=actor,
            )
            row.quota = item.quota
    db.session.flush()
    return period


def list_periods() -> list[PhaseoutPeriod]:
    return list(db.session.scalars(select(PhaseoutPeriod).order_by(PhaseoutPeriod.starts_on, PhaseoutPeriod.id)))


def quotas_of(period: PhaseoutPeriod) -> dict[int, int]:
    rows = db.session.execute(
        select(PhaseoutQuota.township_id, PhaseoutQuota.quota).where(PhaseoutQuota.period_id == period.id)
    )
    return {township_id: quota for township_id, quota in rows}


def period_out(period: PhaseoutPeriod, township_ids: Collection[int] | None = None) -> PeriodOut:
    """A period as the API answers it: its milestones and the quotas (of `township_ids` only, when given)."""
    return PeriodOut(
        period=period.code,
        starts_on=period.starts_on,
        milestones=[MilestoneOut.model_validate(m) for m in milestones_of(period, current_rules())],
        quotas=[
            QuotaOut(township_id=q.township_id, township_code=q.township.code, township=q.township.name, quota=q.quota)
            for q in sorted(period.quotas, key=lambda q: q.township_id)
            if township_ids is None or q.township_id in township_ids
        ],
    )
