"""Vendor A: HJ 845 pinyin-coded CSV (JLBH, DWBH, JCSJ, HPHM, ...), UTF-8 or GBK, streamed in chunks."""

from __future__ import annotations

import codecs
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pandas as pd

from remote_sensing.readers.base import Layout, LayoutError, ReadItem, RowConverter, RowError, register_reader
from remote_sensing.readers.colours import colour_scheme

COLUMNS: Final[dict[str, str]] = {
    "record_id": "JLBH",
    "station": "DWBH",
    "lane": "CDXH",
    "measured_at": "JCSJ",
    "plate": "HPHM",
    "plate_color": "CPYS",
    "fuel": "RLZL",
    "speed_kmh": "CLSD",
    "accel_ms2": "CLJSD",
    "vsp_kw_t": "VSP",
    "wind_ms": "FS",
    "temperature_c": "HJWD",
    "humidity_pct": "SD",
    "pressure_kpa": "DQY",
    "co2_pct": "CO2JG",
    "co_pct": "COJG",
    "hc_ppm": "HCJG",
    "no_ppm": "NOJG",
    "opacity_pct": "BTGDJG",
    "ringelmann": "LGMHD",
    "device_verdict": "PDJG",
}
OPTIONAL_COLUMNS: Final[dict[str, str]] = {"plate_confidence": "HPZXD"}
PHOTO_COLUMNS: Final[tuple[str, ...]] = ("TP1", "TP2", "SP")
DEVICE_VERDICTS: Final[dict[str, bool | None]] = {"0": True, "1": True, "2": False}
SPEED_FACTORS: Final[dict[str, float]] = {"km/h": 1.0, "kmh": 1.0, "m/s": 3.6, "ms": 3.6}

_BAD_LINE = re.compile(r"Skipping line (\d+): (.*)")


def detect_encoding(path: Path, sample_bytes: int = 1 << 20) -> str:
    """Return ``utf-8-sig`` if the first ``sample_bytes`` decode as UTF-8, else ``gb18030`` (GBK superset)."""
    with path.open("rb") as fh:
        sample = fh.read(sample_bytes)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def make_layout(colour: str = "hj845", speed_unit: str = "km/h", name: str = "hj845-csv") -> Layout:
    """Return the vendor A layout for a colour scheme and speed unit."""
    try:
        factor = SPEED_FACTORS[speed_unit]
    except KeyError:
        raise ValueError(f"speed_unit must be one of {', '.join(SPEED_FACTORS)}") from None
    return Layout(
        name=name,
        columns=COLUMNS,
        colour_codes=colour_scheme(colour),
        device_verdicts=DEVICE_VERDICTS,
        photo_columns=PHOTO_COLUMNS,
        optional_columns=OPTIONAL_COLUMNS,
        speed_factor=factor,
    )


def read_csv_layout(
    path: Path, layout: Layout, *, encoding: str = "auto", chunksize: int = 20_000
) -> Iterator[ReadItem]:
    """Stream a delimited file in pandas chunks; bad lines (wrong field count) become RowErrors."""
    enc = detect_encoding(path) if encoding == "auto" else encoding
    if enc.lower().replace("-", "") in ("gbk", "gb2312"):
        enc = "gb18030"  # GBK files often carry the odd GB18030-only character
    converter: RowConverter | None = None
    skipped: list[int] = []
    next_index = 0  # data rows read so far, not counting skipped lines
    if path.stat().st_size == 0:
        raise LayoutError(list(layout.columns.values()), layout.name)
    with pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        encoding=enc,
        chunksize=chunksize,
        on_bad_lines="warn",
    ) as chunks:
        while True:
            # Catch pandas' bad-line warnings only while parsing, never while our caller runs.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
            bad_lines: dict[int, str] = {}
            for warning in caught:
                for match in _BAD_LINE.finditer(str(warning.message)):
                    bad_lines[int(match.group(1))] = match.group(2).strip()
            if converter is None:
                header = [str(c).strip().upper() for c in chunk.columns]
                converter = RowConverter(layout, layout.check_header(header))
                chunk.columns = header
            pending = sorted(bad_lines)
            skipped.extend(pending)
            columns = list(chunk.columns)
            cells = [chunk[c].tolist() for c in columns]
            for values in zip(*cells, strict=True):
                line = next_index + 2 + _count_le(skipped, next_index + 2) if skipped else next_index + 2
                while pending and pending[0] < line:
                    bad = pending.pop(0)
                    yield bad, RowError(None, bad_lines[bad], "")
                next_index += 1
                yield line, converter.convert(dict(zip(columns, values, strict=True)))
            for bad in pending:
                yield bad, RowError(None, bad_lines[bad], "")
    if converter is None:  # empty file: still check the header
        header = list(pd.read_csv(path, nrows=0, encoding=enc).columns)
        layout.check_header([str(c).strip().upper() for c in header])


def _count_le(sorted_lines: list[int], line: int) -> int:
    """Return how many skipped lines come at or before data row ``line`` (walking past them)."""
    count = 0
    for bad in sorted_lines:
        if bad <= line + count:
            count += 1
        else:
            break
    return count


@register_reader("hj845-csv")
def read_hj845_csv(
    path: Path,
    *,
    encoding: str = "auto",
    speed_unit: str = "km/h",
    colour_scheme: str = "hj845",
    chunksize: int = 20_000,
) -> Iterator[ReadItem]:
    """Stream vendor A (HJ 845 pinyin columns) passes; ``encoding`` auto-detects UTF-8 vs GBK."""
    layout = make_layout(colour_scheme, speed_unit)
    yield from read_csv_layout(path, layout, encoding=encoding, chunksize=chunksize)
