"""Canonical JSON passes: the HTTP ingestion API validates posted records with :func:`parse_canonical`."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from remote_sensing.readers.base import FIELD_RANGES, ReadItem, RowError, register_reader
from remote_sensing.types import (
    EARLIEST_MEASUREMENT,
    LATEST_MEASUREMENT,
    MEASUREMENT_FLOATS,
    PLATE_COLORS,
    UNREAD_PLATES,
    FieldError,
    PassRecord,
)

REQUIRED_TEXT: Final[tuple[str, ...]] = ("station", "record_id")
OPTIONAL_TEXT: Final[tuple[str, ...]] = ("lane", "fuel", "device_verdict")
NUMBERS: Final[tuple[str, ...]] = ("plate_confidence", *MEASUREMENT_FLOATS)
KNOWN_FIELDS: Final[frozenset[str]] = frozenset(f.name for f in fields(PassRecord))


def _utc(when: datetime) -> datetime:
    try:
        return when.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        return datetime.min.replace(tzinfo=UTC)


def _code(value: Any) -> Any:
    """Devices send ids and lanes as numbers or as text: an integer is its decimal text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def parse_canonical(data: Mapping[str, Any]) -> PassRecord | list[FieldError]:
    """Validate a canonical pass dict; return the record or every field error found.

    ``measured_at`` must be ISO 8601 with a UTC offset, 2000-2199. Text ids (station, record_id, lane,
    fuel, device_verdict) may come as integers. Measurements must be JSON numbers (not strings);
    optional fields may be null or absent. ``plate`` "" or "无车牌" is an unread plate (pending).
    """
    if not isinstance(data, Mapping):
        return [FieldError("$", "must be an object")]
    errors: list[FieldError] = []
    values: dict[str, Any] = {}

    for name in sorted(set(data) - KNOWN_FIELDS):
        errors.append(FieldError(str(name), "unknown field"))

    for name in REQUIRED_TEXT:
        value = _code(data.get(name))
        if value is None:
            errors.append(FieldError(name, "is required"))
        elif not isinstance(value, str):
            errors.append(FieldError(name, "must be a string"))
        elif not value.strip():
            errors.append(FieldError(name, "must not be empty"))
        else:
            values[name] = value.strip()

    raw_time = data.get("measured_at")
    if raw_time is None:
        errors.append(FieldError("measured_at", "is required"))
    elif not isinstance(raw_time, str):
        errors.append(FieldError("measured_at", "must be an ISO 8601 string with offset"))
    else:
        try:
            when = datetime.fromisoformat(raw_time.strip().replace("Z", "+00:00"))
        except ValueError:
            errors.append(FieldError("measured_at", "must be an ISO 8601 date-time"))
        else:
            if when.tzinfo is None or when.utcoffset() is None:
                errors.append(FieldError("measured_at", "must include a UTC offset, e.g. +08:00"))
            elif not EARLIEST_MEASUREMENT <= _utc(when) <= LATEST_MEASUREMENT:
                errors.append(FieldError("measured_at", "must lie between 2000 and 2199"))
            else:
                values["measured_at"] = when

    for name in OPTIONAL_TEXT:
        value = _code(data.get(name))
        if value is not None and not isinstance(value, str):
            errors.append(FieldError(name, "must be a string or null"))
        elif value is not None:
            values[name] = value.strip() or None

    plate = data.get("plate", "")
    if plate is None:
        plate = ""
    if not isinstance(plate, str):
        errors.append(FieldError("plate", "must be a string"))
    else:
        values["plate"] = "" if plate.strip() in UNREAD_PLATES else plate.strip()

    colour = data.get("plate_color", "unknown")
    if colour is None:
        colour = "unknown"
    if not isinstance(colour, str) or colour not in PLATE_COLORS:
        errors.append(FieldError("plate_color", f"must be one of {', '.join(sorted(PLATE_COLORS))}"))
    else:
        values["plate_color"] = colour

    for name in NUMBERS:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            errors.append(FieldError(name, "must be a number"))
            continue
        number = float(value)
        if not math.isfinite(number):
            errors.append(FieldError(name, "must be a finite number"))
            continue
        if name in FIELD_RANGES:
            lo, hi = FIELD_RANGES[name]
            if not lo <= number <= hi:
                errors.append(FieldError(name, f"must be between {lo:g} and {hi:g}"))
                continue
        values[name] = number

    grade = data.get("ringelmann")
    if grade is not None:
        if isinstance(grade, bool) or not isinstance(grade, int | float) or not float(grade).is_integer():
            errors.append(FieldError("ringelmann", "must be an integer"))
        elif not 0 <= grade <= 5:
            errors.append(FieldError("ringelmann", "must be between 0 and 5"))
        else:
            values["ringelmann"] = int(grade)

    device_valid = data.get("device_valid")
    if device_valid is not None and not isinstance(device_valid, bool):
        errors.append(FieldError("device_valid", "must be true, false or null"))
    else:
        values["device_valid"] = device_valid

    photos = data.get("photos", [])
    if photos is None:
        photos = []
    if not isinstance(photos, list | tuple) or not all(isinstance(p, str) for p in photos):
        errors.append(FieldError("photos", "must be a list of file names"))
    else:
        values["photos"] = tuple(p for p in photos if p)

    if errors:
        return errors
    return PassRecord(**values)


@register_reader("canonical-jsonl")
def read_canonical_jsonl(path: Path, *, encoding: str = "utf-8") -> Iterator[ReadItem]:
    """Stream canonical passes from JSON Lines (one object per line; line 1 is the first record)."""
    import json

    with path.open(encoding=encoding) as fh:
        for line_number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield line_number, RowError(None, f"not valid JSON: {exc.msg}", line.strip()[:200])
                continue
            result = parse_canonical(data) if isinstance(data, dict) else [FieldError("$", "must be an object")]
            if isinstance(result, PassRecord):
                yield line_number, result
            else:
                first, *rest = result
                yield (
                    line_number,
                    RowError(
                        first.field,
                        first.problem,
                        str(data.get(first.field, "")) if isinstance(data, dict) else "",
                        first.field,
                        tuple(RowError(e.field, e.problem, "", e.field) for e in rest),
                    ),
                )
