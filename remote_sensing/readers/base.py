"""Reader registry, row errors and the row converter shared by vendor layouts."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeAlias

from remote_sensing.types import MEASUREMENT_FLOATS, SHANGHAI, UNREAD_PLATES, PassRecord


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that cannot be parsed: report it, do not store it.

    ``column`` is the vendor's column name (``None`` for a malformed line), ``field`` the canonical
    field it maps to, ``raw`` the text as read. Further problems in the same row are in ``others``.
    """

    column: str | None
    problem: str
    raw: str
    field: str | None = None
    others: tuple[RowError, ...] = dc_field(default=())

    def __str__(self) -> str:
        where = self.column or "row"
        return f"{where}: {self.problem} ({self.raw!r})"


class LayoutError(ValueError):
    """The file does not have the columns its layout needs (a file-level error, not a row error)."""

    def __init__(self, missing: list[str], layout: str) -> None:
        super().__init__(f"{layout}: missing column(s) {', '.join(missing)} in the header (row 1)")
        self.missing = missing
        self.layout = layout
        self.row_number = 1


ReadItem: TypeAlias = tuple[int, PassRecord | RowError]
ReaderFunc: TypeAlias = Callable[..., Iterator[ReadItem]]

_READERS: dict[str, ReaderFunc] = {}


def register_reader(name: str) -> Callable[[ReaderFunc], ReaderFunc]:
    """Register a reader function under a format name (one module per vendor layout)."""

    def decorator(func: ReaderFunc) -> ReaderFunc:
        _READERS[name] = func
        return func

    return decorator


def reader_formats() -> list[str]:
    """Return the registered format names."""
    return sorted(_READERS)


def open_reader(path: str | Path, format: str, **options: Any) -> Iterator[ReadItem]:
    """Stream ``(row_number, PassRecord | RowError)`` from ``path`` in the given vendor format.

    ``row_number`` counts the header as row 1, so it is the row a spreadsheet shows.
    """
    try:
        reader = _READERS[format]
    except KeyError:
        raise ValueError(f"unknown reader format {format!r}; known: {', '.join(reader_formats())}") from None
    return reader(Path(path), **options)


# --- value conversion -------------------------------------------------------------------------------

FUEL_CODES: Final[dict[str, str]] = {
    # GA 24.9 fuel codes as used in vehicle registration data.
    "A": "gasoline",
    "B": "diesel",
    "C": "electric",
    "D": "mixed_oil",
    "E": "natural_gas",
    "F": "lpg",
    "L": "methanol",
    "M": "ethanol",
    "N": "solar",
    "O": "hybrid",
    "柴油": "diesel",
    "汽油": "gasoline",
    "天然气": "natural_gas",
}

_TIME_FORMATS: Final[tuple[str, ...]] = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y%m%d%H%M%S",
    "%Y年%m月%d日 %H:%M:%S",
)


class _Bad(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def text(value: object) -> str:
    """Return a cell as stripped text; whole floats lose their ``.0`` (Excel numbers as ids)."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def number(value: object) -> float | None:
    """Return a finite float, None for an empty cell; raise _Bad for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Bad("not a number")
    if isinstance(value, int | float):
        result = float(value)
        if math.isnan(result):
            return None
    else:
        raw = str(value).strip()
        if not raw:
            return None
        try:
            result = float(raw)
        except ValueError:
            raise _Bad("not a number") from None
    if not math.isfinite(result):
        raise _Bad("not a finite number")
    return result


def timestamp(value: object) -> datetime:
    """Return an aware datetime; naive vendor times are Asia/Shanghai local time."""
    if isinstance(value, datetime):
        result = value
    else:
        raw = text(value)
        if not raw:
            raise _Bad("missing time")
        try:
            result = datetime.fromisoformat(raw)
        except ValueError:
            for fmt in _TIME_FORMATS:
                try:
                    result = datetime.strptime(raw, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise _Bad("not a valid date-time") from None
    if result.tzinfo is None:
        result = result.replace(tzinfo=SHANGHAI)
    return result


@dataclass(frozen=True, slots=True)
class Layout:
    """How one vendor layout maps its columns onto :class:`PassRecord` fields."""

    name: str
    #: canonical field -> vendor column; every listed column must be in the header.
    columns: Mapping[str, str]
    colour_codes: Mapping[str, str]
    device_verdicts: Mapping[str, bool | None]
    photo_columns: tuple[str, ...] = ()
    #: optional columns: used when present in the header.
    optional_columns: Mapping[str, str] = dc_field(default_factory=dict)
    speed_factor: float = 1.0

    def check_header(self, header: list[str]) -> dict[str, str]:
        """Return the field -> column map for this header; raise LayoutError for missing columns."""
        present = set(header)
        missing = [c for c in self.columns.values() if c not in present]
        if missing:
            raise LayoutError(missing, self.name)
        mapping = dict(self.columns)
        mapping.update({f: c for f, c in self.optional_columns.items() if c in present})
        return mapping


_FLOAT_FIELDS: Final[tuple[str, ...]] = ("plate_confidence", *MEASUREMENT_FLOATS)

#: Physically impossible values that make a row unparseable (not merely an invalid pass).
FIELD_RANGES: Final[dict[str, tuple[float, float]]] = {
    "plate_confidence": (0.0, 1.0),
    "humidity_pct": (0.0, 100.0),
    "ringelmann": (0.0, 5.0),
}


def plate_colour(raw: str, codes: Mapping[str, str]) -> str:
    """Map a vendor colour code (or a Chinese colour name) to a canonical plate colour."""
    if not raw:
        return "unknown"
    if raw in codes:
        return codes[raw]
    return COLOUR_NAMES.get(raw.removesuffix("色"), "unknown")


COLOUR_NAMES: Final[dict[str, str]] = {
    "蓝": "blue",
    "黄": "yellow",
    "白": "white",
    "黑": "black",
    "绿": "green",
    "渐变绿": "green",
    "黄绿": "yellow_green",
    "blue": "blue",
    "yellow": "yellow",
    "white": "white",
    "black": "black",
    "green": "green",
    "yellow_green": "yellow_green",
}


class RowConverter:
    """Turn one vendor row (column -> cell value) into a PassRecord or a RowError."""

    def __init__(self, layout: Layout, mapping: Mapping[str, str]) -> None:
        self.layout = layout
        self.mapping = dict(mapping)
        self.photo_columns = tuple(c for c in layout.photo_columns)

    def convert(self, row: Mapping[str, object]) -> PassRecord | RowError:
        """Convert ``row``; every unparseable cell is reported, the first one as the RowError."""
        errors: list[RowError] = []
        m = self.mapping
        values: dict[str, Any] = {}

        def cell(name: str) -> object:
            return row.get(m[name]) if name in m else None

        for name in ("station", "record_id"):
            raw = text(cell(name))
            if not raw:
                errors.append(RowError(m[name], "missing value", raw, name))
            values[name] = raw
        try:
            values["measured_at"] = timestamp(cell("measured_at"))
        except _Bad as bad:
            errors.append(RowError(m["measured_at"], bad.problem, text(cell("measured_at")), "measured_at"))

        for name in _FLOAT_FIELDS:
            if name not in m:
                continue
            try:
                value = number(cell(name))
            except _Bad as bad:
                errors.append(RowError(m[name], bad.problem, text(cell(name)), name))
                continue
            if value is not None and name == "speed_kmh":
                value = round(value * self.layout.speed_factor, 6)
            if value is not None and name in FIELD_RANGES:
                lo, hi = FIELD_RANGES[name]
                if not lo <= value <= hi:
                    errors.append(RowError(m[name], f"out of range {lo:g}..{hi:g}", text(cell(name)), name))
            values[name] = value

        if "ringelmann" in m:
            try:
                grade = number(cell("ringelmann"))
                if grade is not None and (not grade.is_integer() or not 0 <= grade <= 5):
                    raise _Bad("must be an integer 0-5")
                values["ringelmann"] = None if grade is None else int(grade)
            except _Bad as bad:
                errors.append(RowError(m["ringelmann"], bad.problem, text(cell("ringelmann")), "ringelmann"))

        if errors:
            first = errors[0]
            return RowError(first.column, first.problem, first.raw, first.field, tuple(errors[1:]))

        plate = text(cell("plate"))
        values["plate"] = "" if plate in UNREAD_PLATES else plate
        values["plate_color"] = plate_colour(text(cell("plate_color")), self.layout.colour_codes)
        lane = text(cell("lane"))
        values["lane"] = lane or None
        if "fuel" in m:
            fuel = text(cell("fuel"))
            values["fuel"] = FUEL_CODES.get(fuel, fuel) or None
        if "device_verdict" in m:
            verdict = text(cell("device_verdict"))
            values["device_verdict"] = verdict or None
            values["device_valid"] = self.layout.device_verdicts.get(verdict)
        values["photos"] = tuple(p for p in (text(row.get(c)) for c in self.photo_columns) if p)
        return PassRecord(**values)
