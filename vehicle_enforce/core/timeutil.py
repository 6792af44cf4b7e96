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


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if value is None else to_local(value).strftime(fmt)


def from_local_input(value: str) -> datetime:
    """Read a form's `datetime-local` value (no zone) as Asia/Shanghai wall-clock time; ValueError if unreadable."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        raise ValueError("expected a local time without a zone")
    return parsed.replace(tzinfo=SHANGHAI)
