"""Time helpers: everything is stored in UTC and shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    return datetime.now(UTC)


def to_local(value: datetime) -> datetime:
    """Return the Asia/Shanghai wall-clock time of an aware datetime."""
    return value.astimezone(SHANGHAI)


def local_day(value: datetime) -> date:
    """Calendar day in Asia/Shanghai of an aware datetime (listing rules count these days)."""
    return to_local(value).date()


#: How every page, file and notice shows a time: Asia/Shanghai, to the minute (`2019-11-05 14:03`).
DISPLAY_FORMAT = "%Y-%m-%d %H:%M"


def format_local(value: datetime | str | None, fmt: str = DISPLAY_FORMAT) -> str:
    """A stored time as people read it: Asia/Shanghai wall clock, `2019-11-05 14:03` by default.

    Takes a datetime or an ISO 8601 text with its offset (what the JSON builders put in the dicts that
    pages render), so a page never shows the UTC digits of an ISO string. A time without a zone is a
    stored UTC time (SQLite hands them back naive).
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return to_local(value).strftime(fmt)


#: The days a form or filter accepts: a record outside them cannot exist, and year 1 or 9999 overflows
#: when turned into a UTC instant.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def from_local_input(value: str) -> datetime:
    """Read a form's `datetime-local` value (no zone) as Asia/Shanghai wall-clock time; ValueError if unreadable
    or outside FIRST_DAY..LAST_DAY."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        raise ValueError("expected a local time without a zone")
    if not FIRST_DAY <= parsed.date() <= LAST_DAY:
        raise ValueError("outside the years a record can have")
    return parsed.replace(tzinfo=SHANGHAI)
