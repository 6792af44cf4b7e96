"""Phase-out progress: done / quota / on-track per township, per county and in total.

Plain functions: they flush, never commit, and raise `core.errors` refusals. Counting runs in SQL
(grouped aggregates), never as a Python loop over vehicles or actions.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select

from vehicle_enforce.auth import scope
from vehicle_enforce.auth.models import County, Township
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import NotFound
from vehicle_enforce.extensions import db
from vehicle_enforce.phaseout.eligibility import (
    eligible_clause,
    not_phased_out,
)
from vehicle_enforce.phaseout.models import (
    PhaseoutAction,
    PhaseoutPeriod,
)
from vehicle_enforce.phaseout.quotas import list_periods, milestones_of, quotas_of
from vehicle_enforce.phaseout.rules import Milestone, current_rules
from vehicle_enforce.vehicles.models import Vehicle

# --- progress ----------------------------------------------------------------------------------


def choose_period(as_of: date, code: str | None = None) -> PhaseoutPeriod | None:
    """The named period, else the one running on `as_of`, else the latest started; None if none is set."""
    if code is not None:
        period: PhaseoutPeriod | None = db.session.scalar(select(PhaseoutPeriod).where(PhaseoutPeriod.code == code))
        if period is None:
            raise NotFound(f"no phase-out period '{code}'", {"period": "unknown period"})
        return period
    periods = list_periods()
    rules = current_rules()
    running = [p for p in periods if p.starts_on <= as_of <= milestones_of(p, rules)[-1].due]
    started = [p for p in periods if p.starts_on <= as_of]
    chosen = running or started or periods
    return chosen[-1] if chosen else None


def _row(
    done: int, recent: int, quota: int, remaining: int, milestone: Milestone, as_of: date, weeks: float
) -> dict[str, Any]:
    target = math.ceil(quota * milestone.percent / 100)
    weekly_rate = recent / weeks if weeks > 0 else 0.0
    days_left = max(0, (milestone.due - as_of).days)
    projected = done + weekly_rate * days_left / 7
    return {
        "done": done,
        "quota": quota,
        "percent": round(100 * done / quota, 1) if quota else None,
        "eligible_remaining": remaining,
        "milestone_target": target,
        "weekly_rate": round(weekly_rate, 2),
        "projected_at_milestone": round(projected, 1),
        "on_track": (projected >= target) if quota else None,
    }


def progress(
    as_of: date,
    *,
    period_code: str | None = None,
    township_ids: Collection[int] | None = None,
    one_township: bool = False,
) -> dict[str, Any]:
    """Done / quota / percent / on-track per township, per county and in total, as of the end of `as_of`.

    `township_ids`: the townships the caller sees (a county's, or one township's; None: the city's).
    `counties` has a row per county of the townships shown (a county caller's report: its own county);
    `county` is the total of the rows shown, absent (None) for a township's own report (`one_township`).
    """
    rules = current_rules()
    period = choose_period(as_of, period_code)
    milestones = milestones_of(period, rules)
    starts_on = period.starts_on if period is not None else rules.default_period_start
    upcoming = [m for m in milestones if m.due >= as_of]
    milestone = upcoming[0] if upcoming else milestones[-1]
    quotas = quotas_of(period) if period is not None else {}

    # The trailing rate window, shortened when the period began less than `rate_weeks` ago.
    window_days = max(0, min(rules.rate_weeks * 7, (as_of - starts_on).days + 1))
    recent_from = as_of - timedelta(days=window_days)
    counted = and_(PhaseoutAction.action_date >= starts_on, PhaseoutAction.action_date <= as_of)
    done_rows = db.session.execute(
        select(
            PhaseoutAction.township_id,
            func.count(),
            func.sum(case((PhaseoutAction.action_date > recent_from, 1), else_=0)),
        )
        .where(counted)
        .group_by(PhaseoutAction.township_id)
    ).all()
    done = {tid: (int(n), int(r or 0)) for tid, n, r in done_rows}
    remaining = dict(
        db.session.execute(
            select(Vehicle.township_id, func.count())
            .where(eligible_clause(rules), not_phased_out(as_of))
            .group_by(Vehicle.township_id)
        ).all()
    )

    townships = db.session.scalars(select(Township).order_by(Township.id)).all()
    shown = [t for t in townships if township_ids is None or t.id in township_ids]
    weeks = window_days / 7
    rows = []
    for t in shown:
        if not t.active and t.id not in quotas and t.id not in done:
            continue
        n, recent = done.get(t.id, (0, 0))
        rows.append(
            {
                "township_id": t.id,
                "township_code": t.code,
                "township": t.name,
                **_row(n, recent, quotas.get(t.id, 0), int(remaining.get(t.id, 0)), milestone, as_of, weeks),
            }
        )

    def total(ids: Collection[int] | None) -> dict[str, Any]:
        def of(values: dict[Any, Any]) -> list[Any]:
            return [v for k, v in values.items() if ids is None or k in ids]

        return _row(
            sum(n for n, _ in of(done)),
            sum(r for _, r in of(done)),
            sum(of(quotas)),
            int(sum(of(remaining))),
            milestone,
            as_of,
            weeks,
        )

    county = None if one_township else total(None if township_ids is None else set(township_ids))
    counties = []
    if not one_township:
        by_county: dict[int, set[int]] = {}
        for t in shown:
            by_county.setdefault(t.county_id, set()).add(t.id)
        for c in db.session.scalars(select(County).where(County.id.in_(list(by_county))).order_by(County.code)):
            counties.append({"county_id": c.id, "county_code": c.code, "county": c.name, **total(by_county[c.id])})
    return {
        "as_of": as_of.isoformat(),
        "period": period.code if period is not None else None,
        "period_starts_on": starts_on.isoformat(),
        "milestones": [m.as_json() for m in milestones],
        "next_milestone": milestone.as_json(),
        "rate_window_days": window_days,
        "townships": rows,
        "counties": counties,
        "county": county,
    }


def for_caller(as_of: date, actor: Actor) -> dict[str, Any]:
    """`progress` as `actor` sees it: a township account its township, a county's its county, the city all."""
    return progress(
        as_of,
        township_ids=scope.county_townships(actor),
        one_township=scope.allowed_townships(actor) is not None,
    )


def behind_plan(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The township rows that will not reach the next milestone at their recent rate (滞后): the
    dashboard's ?behind=1 list and the home page's count of it."""
    return [r for r in rows if r["on_track"] is False]


def cumulative_by_township(
    as_of: date,
    *,
    period_code: str | None = None,
    township_ids: Collection[int] | None = None,
    one_township: bool = False,
) -> tuple[dict[str, Any], Any]:
    """Progress plus a frame of cumulative actions per (township, date) since the period start (for charts)."""
    import pandas as pd

    report = progress(as_of, period_code=period_code, township_ids=township_ids, one_township=one_township)
    starts_on = date.fromisoformat(report["period_starts_on"])
    rows = db.session.execute(
        select(PhaseoutAction.township_id, PhaseoutAction.action_date, func.count())
        .where(PhaseoutAction.action_date >= starts_on, PhaseoutAction.action_date <= as_of)
        .group_by(PhaseoutAction.township_id, PhaseoutAction.action_date)
    ).all()
    frame = pd.DataFrame(rows, columns=["township_id", "action_date", "count"])
    if not frame.empty:
        frame = frame.sort_values(["township_id", "action_date"])
        frame["cumulative"] = frame.groupby("township_id")["count"].cumsum()
    else:
        frame["cumulative"] = pd.Series(dtype="int64")
    return report, frame
