"""Working days (行政处罚法 第八十五条): the shipped holiday calendar with admin's corrections on top.

The shipped calendar (data/holidays_cn.json, see tools/make_holiday_calendar.py) holds each year's public
holidays and the weekend days that are working days by the State Council's 调休 notice. Admin corrects or
completes it (a year's notice published after the release, a local holiday) in `calendar_overrides`.
A working day is a Monday-Friday that is not a holiday, or a weekend day the notice makes a working day.
A deadline that runs into a year whose notice is not entered says so: it is never silently reassuring.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model, db

if TYPE_CHECKING:  # the schemas name this module's models (stored_as)
    from vehicle_enforce.cases.schemas import CalendarDayIn, CalendarYearIn

KINDS = ("holiday", "workday", "normal")  # normal: an override back to the plain weekday/weekend rule


class CalendarOverride(Model):
    """Admin's correction of one day of the shipped holiday calendar."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday | normal
    name: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(default=now_utc)


class CalendarYear(Model):
    """A year whose State Council holiday notice admin has entered (beyond the shipped years)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(256))  # the notice, e.g. 国办发明电〔2026〕X号
    changed_by: Mapped[str] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(default=now_utc)


@lru_cache(maxsize=1)
def shipped() -> tuple[dict[date, tuple[str, str]], dict[int, dict[str, Any]]]:
    text = resources.files("vehicle_enforce.cases").joinpath("data/holidays_cn.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    days = {date.fromisoformat(d["date"]): (d["kind"], d.get("name") or "") for d in doc["days"]}
    years = {int(y): dict(v) for y, v in doc["years"].items()}
    return days, years


class Calendar:
    """The effective calendar over a range of days: shipped data with the overrides of that range."""

    def __init__(self, start: date, end: date) -> None:
        self.days, self.years = shipped()
        rows = db.session.scalars(select(CalendarOverride).where(CalendarOverride.day.between(start, end)))
        self.overrides = {r.day: r for r in rows}
        self.start, self.end = start, end

    def kind(self, day: date) -> str:
        """holiday | workday (a 调休 working weekend day) | weekend | weekday."""
        override = self.overrides.get(day)
        if override is not None and override.kind != "normal":
            return str(override.kind)
        if override is None and day in self.days:
            return self.days[day][0]
        return "weekend" if day.weekday() >= 5 else "weekday"

    def name(self, day: date) -> str:
        override = self.overrides.get(day)
        if override is not None:
            return override.name or ""
        return self.days.get(day, ("", ""))[1]

    def is_working(self, day: date) -> bool:
        return self.kind(day) in ("weekday", "workday")

    def complete(self, year: int) -> bool:
        return bool(self.years.get(year, {}).get("complete"))


def add_working_days(start: date, count: int) -> tuple[date, list[int]]:
    """The day `count` working days after `start` (the start day is not counted), and the years on the
    way whose holiday schedule is not complete in the calendar (so the answer may be wrong)."""
    if count < 0:
        raise ValueError("count must not be negative")
    span = count * 3 + 40  # the longest holiday (春节) is under 10 days; enough for any few-day deadline
    calendar = Calendar(start, start + timedelta(days=span))
    day, left = start, count
    while left:
        day += timedelta(days=1)
        if day > calendar.end:
            calendar = Calendar(day, day + timedelta(days=span))
        if calendar.is_working(day):
            left -= 1
    unsure = sorted({y for y in range(start.year, day.year + 1) if not calendar.complete(y)} - _completed_by_admin())
    return day, unsure


def _completed_by_admin() -> set[int]:
    return set(db.session.scalars(select(CalendarYear.year)))


def year_json(year: int) -> dict[str, Any]:
    start, end = date(year, 1, 1), date(year, 12, 31)
    calendar = Calendar(start, end)
    days = []
    day = start
    while day <= end:
        kind = calendar.kind(day)
        if kind in ("holiday", "workday") or day in calendar.overrides:
            override = calendar.overrides.get(day)
            days.append(
                {
                    "date": day.isoformat(),
                    "kind": kind,
                    "name": calendar.name(day),
                    "source": "admin" if override is not None else "shipped",
                }
            )
        day += timedelta(days=1)
    info = calendar.years.get(year, {})
    entered = db.session.get(CalendarYear, year)
    complete = calendar.complete(year) or entered is not None
    source = entered.source if entered is not None else info.get("source")
    return {"year": year, "complete": complete, "source": source, "days": days}


def set_day(day: date, data: CalendarDayIn, *, actor: Actor) -> CalendarOverride:
    """Correct one day of the holiday calendar for `actor` (an admin), audited."""
    kind, name, note = data.kind, data.name, data.note
    if kind not in KINDS:
        raise Invalid("日期类型不正确", {"kind": f"须为 {' / '.join(KINDS)} 之一"})
    override = db.session.get(CalendarOverride, day)
    if override is None:
        override = CalendarOverride(day=day, kind=kind, changed_by=actor.name)
        db.session.add(override)
    override.kind, override.name, override.note = kind, name, note
    override.changed_by, override.changed_at = actor.name, now_utc()
    db.session.flush()
    audit.record(
        "calendar.set", "calendar_day", None, {"day": day, "kind": kind, "name": name, "note": note}, actor=actor
    )
    return override


def mark_year_complete(year: int, data: CalendarYearIn, *, actor: Actor) -> CalendarYear:
    """Admin has entered a year's State Council notice: deadlines into that year are no longer unsure."""
    source = data.source
    if not source.strip():
        raise Invalid("须注明放假通知文号", {"source": "必填：国务院办公厅放假调休通知文号"})
    row = db.session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year, source=source.strip(), changed_by=actor.name)
        db.session.add(row)
    row.source, row.changed_by, row.changed_at = source.strip(), actor.name, now_utc()
    db.session.flush()
    audit.record("calendar.complete", "calendar_year", year, {"source": row.source}, actor=actor)
    return row
