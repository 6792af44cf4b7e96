"""The county's monthly figures: passes, exceedances, listings, cases by stage, penalties, repairs,
phase-out progress, NRMM checked rate and transmission rate, for one Beijing calendar month.

Reads over the domains (like `enforcement`); writes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from vehicle_enforce.auth.models import County, Township
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.cases.models import CASE_STATE_ZH, Case, CaseAction
from vehicle_enforce.core.errors import Invalid, ServiceError
from vehicle_enforce.core.timeutil import SHANGHAI, local_day, now_utc
from vehicle_enforce.exports import services as exports
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import RemoteSensingPass, Repair, Station, WithdrawnPass
from vehicle_enforce.nrmm.models import SamplingPlan, Site, SpotCheck
from vehicle_enforce.phaseout import progress as phaseout_progress

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Month:
    code: str  # YYYY-MM
    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The month's first instant (Beijing midnight), in UTC."""
        return datetime.combine(self.first, time(), SHANGHAI).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The next month's first instant, in UTC (exclusive)."""
        return datetime.combine(self.last + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)

    @property
    def title(self) -> str:
        return f"{self.first.year}年{self.first.month}月"


def parse_month(code: str) -> Month:
    """`YYYY-MM` as a month; Invalid naming `month` otherwise."""
    found = MONTH.match(code or "")
    if found is None:
        raise Invalid("month must be YYYY-MM", {"month": "expected YYYY-MM, e.g. 2026-11"})
    first = date(int(found[1]), int(found[2]), 1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return Month(code, first, nxt - timedelta(days=1))


def _count(stmt: Any) -> int:
    return int(db.session.scalar(stmt) or 0)


def monthly(code: str, county: County | None = None) -> dict[str, Any]:
    """The month's figures (a JSON-able dict; every time a Beijing day) for `county`, or the whole city.

    A county's figures: the passes and repairs of its stations, the listings that opened its cases, its
    cases and their penalties, its townships' phase-out, its sampling plans, its sites' spot checks and
    the transmission rate of its stations' records.
    """
    month = parse_month(code)
    start, end = month.start, month.end
    county_id = county.id if county is not None else None
    stations = select(Station.id).where(Station.county_id == county_id)
    at_station: list[Any] = [] if county_id is None else [RemoteSensingPass.station_id.in_(stations)]
    its_cases: list[Any] = [] if county_id is None else [Case.county_id == county_id]

    # Passes per Beijing day (withdrawn passes count toward nothing).
    per_day: Counter[tuple[date, str]] = Counter()
    rows = db.session.execute(
        select(RemoteSensingPass.measured_at, RemoteSensingPass.verdict).where(
            RemoteSensingPass.measured_at >= start,
            RemoteSensingPass.measured_at < end,
            RemoteSensingPass.id.not_in(select(WithdrawnPass.pass_id)),
            *at_station,
        )
    )
    for measured_at, verdict in rows:
        per_day[(local_day(_aware(measured_at)), verdict)] += 1
    days: list[dict[str, Any]] = []
    day = month.first
    while day <= month.last:
        passes = sum(n for (d, _), n in per_day.items() if d == day)
        days.append(
            {
                "day": day.isoformat(),
                "passes": passes,
                "valid": passes - per_day[(day, "invalid")],
                "exceed": per_day[(day, "exceed")],
            }
        )
        day += timedelta(days=1)
    passes = sum(d["passes"] for d in days)
    valid = sum(d["valid"] for d in days)
    exceed = sum(d["exceed"] for d in days)

    def entries(*where: Any) -> int:
        # The blacklist is city-wide; a county counts the listings that opened its cases.
        stmt = select(func.count()).select_from(BlacklistEntry)
        if county_id is not None:
            stmt = stmt.join(Case, Case.entry_id == BlacklistEntry.id).where(*its_cases)
        return _count(stmt.where(*where))

    listed = entries(BlacklistEntry.listed_at >= start, BlacklistEntry.listed_at < end)
    released = entries(BlacklistEntry.released_at >= start, BlacklistEntry.released_at < end)
    active_at_end = entries(
        BlacklistEntry.listed_at < end, BlacklistEntry.released_at.is_(None) | (BlacklistEntry.released_at >= end)
    )

    # Cases by stage at the month's end: each case's state after its last step before then.
    stage: dict[int, str] = {}
    steps = select(CaseAction.case_id, CaseAction.to_state).join(Case, Case.id == CaseAction.case_id)
    for case_id, to_state in db.session.execute(
        steps.where(CaseAction.at < end, *its_cases).order_by(CaseAction.at, CaseAction.id)
    ):
        stage[case_id] = to_state
    by_stage = Counter(stage.values())
    cases = select(func.count()).select_from(Case).where(*its_cases)
    opened = _count(cases.where(Case.opened_at >= start, Case.opened_at < end))
    closed = _count(cases.where(Case.closed_at >= start, Case.closed_at < end))

    penalties = db.session.execute(
        select(func.count(), func.sum(Case.amount_yuan))
        .select_from(CaseAction)
        .join(Case, Case.id == CaseAction.case_id)
        .where(CaseAction.action == "penalize", CaseAction.at >= start, CaseAction.at < end, *its_cases)
    ).one()
    repairs = _count(
        select(func.count())
        .select_from(Repair)
        .where(
            Repair.repaired_at >= start,
            Repair.repaired_at < end,
            Repair.withdrawal_id.is_(None),
            *([] if county_id is None else [Repair.station_id.in_(stations)]),
        )
    )

    as_of = min(month.last, local_day(now_utc()))
    townships = (
        None
        if county_id is None
        else list(db.session.scalars(select(Township.id).where(Township.county_id == county_id)))
    )
    try:
        progress = phaseout_progress.progress(as_of, township_ids=townships)
    except ServiceError:
        progress = None

    plans = select(SamplingPlan).where(SamplingPlan.month == month.code)
    if county_id is not None:
        plans = plans.where(SamplingPlan.county_id == county_id)
    items = [item for plan in db.session.scalars(plans) for item in plan.items]
    planned, checked = len(items), sum(1 for item in items if item.status == "checked")
    checks = (
        select(func.count()).select_from(SpotCheck).where(SpotCheck.checked_at >= start, SpotCheck.checked_at < end)
    )
    if county_id is not None:
        checks = checks.join(Site, Site.id == SpotCheck.site_id).where(Site.county_id == county_id)
    spot_checks = _count(checks)

    transmission = exports.status(month.first, month.last, county_id=county_id)

    return {
        "month": month.code,
        "title": month.title,
        "county": None if county is None else {"code": county.code, "name": county.name},
        "first": month.first.isoformat(),
        "last": month.last.isoformat(),
        "passes": {"total": passes, "valid": valid, "exceed": exceed, "exceed_rate": _rate(exceed, valid)},
        "days": days,
        "listings": {"listed": listed, "released": released, "active_at_end": active_at_end},
        "cases": {
            "opened": opened,
            "closed": closed,
            "by_stage": [{"state": s, "name": n, "count": by_stage.get(s, 0)} for s, n in CASE_STATE_ZH.items()],
        },
        "penalties": {"count": int(penalties[0] or 0), "amount_yuan": float(penalties[1] or 0)},
        "repairs": repairs,
        "phaseout": None
        if progress is None or progress["county"] is None
        else {"as_of": progress["as_of"], **progress["county"], "townships": progress["townships"]},
        "nrmm": {
            "planned": planned,
            "checked": checked,
            "checked_rate": _rate(checked, planned),
            "spot_checks": spot_checks,
        },
        "transmission": transmission["total"] | {"threshold": transmission["threshold"]},
    }


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive UTC datetimes.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
