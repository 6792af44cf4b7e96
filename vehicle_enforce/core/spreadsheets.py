"""Spreadsheet exports (CSV for Excel, XLSX) with a guard against formula injection.

A cell that starts with `=`, `+`, `-`, `@`, tab or carriage return is run as a formula by Excel and
LibreOffice; text from the registry (names, plates, notes) is prefixed with `'` so it stays text.
Numbers are left alone so they remain numbers.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: Any) -> Any:
    """Return `value`, with text that a spreadsheet would evaluate turned into inert text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def guard_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `df` whose text cells and column names are guarded."""
    guarded = df.copy()
    for column in guarded.columns:
        if guarded[column].dtype == object or pd.api.types.is_string_dtype(guarded[column]):
            guarded[column] = guarded[column].map(guard_cell)
    guarded.columns = [guard_cell(str(c)) for c in guarded.columns]
    return guarded


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """Encode `df` as CSV in UTF-8 with a BOM, which Excel needs to read Chinese text correctly."""
    return guard_frame(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(frames: pd.DataFrame | Mapping[str, pd.DataFrame]) -> bytes:
    """Write one frame, or `{sheet name: frame}`, to an XLSX workbook."""
    sheets = {"Sheet1": frames} if isinstance(frames, pd.DataFrame) else dict(frames)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, df in sheets.items():
            # Excel limits sheet names to 31 characters.
            guard_frame(df).to_excel(writer, sheet_name=str(name)[:31], index=False)
    return buffer.getvalue()
