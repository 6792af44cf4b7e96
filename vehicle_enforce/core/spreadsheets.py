"""Spreadsheet exports (CSV for Excel, XLSX) with a guard against formula injection, and the one writer
of the reports a bureau files (`report_xlsx`: title, reporting unit, as-of time, formats, print setup, 说明).

A cell that starts with `=`, `+`, `-`, `@`, tab or carriage return is run as a formula by Excel and
LibreOffice; text from the registry (names, plates, notes) is prefixed with `'` so it stays text.
Numbers are left alone so they remain numbers.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart as XlBarChart
from openpyxl.chart import Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from vehicle_enforce.core import jsontext
from vehicle_enforce.core.timeutil import to_local

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
        series = guarded[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            # Built as an object column: `Series.map` would infer floats for ids with gaps (8 -> 8.0).
            guarded[column] = pd.Series([guard_cell(v) for v in series], index=series.index, dtype=object)
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


# -- Reports as a bureau files them ---------------------------------------------------------------------
#
# openpyxl: already a dependency (pandas writes and the importers read XLSX with it), maintained, and it
# writes everything a filed report needs (merged title, freeze panes, print titles, page setup, native
# charts) and reads it back for the tests. XlsxWriter would be a second library for the same files.

ColumnKind = Literal["text", "int", "number", "percent", "date", "datetime", "bool"]

NUMBER_FORMATS: dict[str, str] = {
    "int": "#,##0",
    "number": "#,##0.00",
    "percent": "0.0%",  # a fraction (0.953 shows as 95.3%)
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
BOOL_ZH = {True: "是", False: "否"}
TITLE_ROW, UNIT_ROW, HEADER_ROW = 1, 2, 3
#: Excel's paper size code for A4 (ECMA-376 part 1, 18.18.44).
PAPER_A4 = 9


@dataclass(frozen=True)
class Column:
    """One column of a report: the row key, its Chinese header, its kind (cell type and format) and
    what it means (the 说明 sheet)."""

    key: str
    title: str
    kind: ColumnKind = "text"
    meaning: str = ""
    width: float | None = None  # characters; default: fitted to the header and the values
    labels: Mapping[Any, str] | None = None  # code -> Chinese label (e.g. plate colours)
    number_format: str | None = None  # overrides the kind's format (e.g. "0.0" for a percent given as 0-100)


@dataclass(frozen=True)
class BarChart:
    """A native clustered bar chart under a sheet's table: categories from one column, a series per value column."""

    title: str
    category: str
    values: Sequence[str]
    y_title: str = ""


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    title: str | None = None  # the sheet's title row; default: the report's title
    chart: BarChart | None = None


@dataclass(frozen=True)
class Report:
    """A report as a bureau files it: title, reporting unit, as-of time, sheets, and what the 说明 sheet says."""

    title: str
    unit: str
    as_of: datetime | date
    sheets: Sequence[Sheet]
    source: str
    filters: Sequence[tuple[str, str]] = ()
    notes: Sequence[tuple[str, str]] = ()

    @property
    def as_of_text(self) -> str:
        return as_of_text(self.as_of)


def as_of_text(value: datetime | date) -> str:
    """统计截至 in Beijing time: a day as itself, an aware time as its Asia/Shanghai wall clock."""
    if isinstance(value, datetime):
        return to_local(value).strftime("%Y-%m-%d %H:%M") + "（北京时间）"
    return value.isoformat()


def cell_value(column: Column, value: Any) -> Any:
    """The value as the cell stores it: times as real date cells (Beijing wall clock), numbers as numbers,
    codes as their Chinese labels, text guarded against formulas."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if column.labels is not None:
        value = column.labels.get(value, value)
    kind = column.kind
    if kind in ("datetime", "date") and isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if kind == "datetime" or "T" in value else date.fromisoformat(value)
        except ValueError:
            return guard_cell(value)
    if isinstance(value, datetime):
        # Excel cells have no time zone: write the Beijing wall clock that every page shows.
        local = to_local(value) if value.tzinfo is not None else value
        return local.date() if kind == "date" else local.replace(tzinfo=None)
    if kind == "bool" or isinstance(value, bool):
        return BOOL_ZH.get(bool(value), str(value)) if column.labels is None else guard_cell(str(value))
    if isinstance(value, dict | list):
        return guard_cell(jsontext.dumps(value))
    return guard_cell(value)


def _display_width(value: Any) -> float:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    text = str(value)
    # A CJK character takes two columns of a monospaced digit's width.
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _write_sheet(ws: Any, report: Report, sheet: Sheet) -> None:
    columns = list(sheet.columns)
    last = get_column_letter(max(1, len(columns)))
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    ws.merge_cells(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    title = ws.cell(TITLE_ROW, 1, sheet.title or report.title)
    title.font = Font(size=16, bold=True)
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[TITLE_ROW].height = 30

    # Reporting unit on the left (room for the seal after it), the as-of time on the right.
    ws.cell(UNIT_ROW, 1, f"填报单位（盖章）：{report.unit}")
    if len(columns) > 2:
        half = max(1, len(columns) // 2)
        ws.merge_cells(f"A{UNIT_ROW}:{get_column_letter(half)}{UNIT_ROW}")
        ws.merge_cells(f"{get_column_letter(half + 1)}{UNIT_ROW}:{last}{UNIT_ROW}")
        as_of_cell = ws.cell(UNIT_ROW, half + 1, f"统计截至：{report.as_of_text}")
    else:
        as_of_cell = ws.cell(UNIT_ROW, max(2, len(columns)), f"统计截至：{report.as_of_text}")
    as_of_cell.alignment = Alignment(horizontal="right")

    header_fill = PatternFill("solid", fgColor="D9E1F2")
    widths = []
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(HEADER_ROW, index, guard_cell(column.title))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths.append(_display_width(column.title))

    for offset, row in enumerate(sheet.rows):
        r = HEADER_ROW + 1 + offset
        for index, column in enumerate(columns, start=1):
            value = cell_value(column, row.get(column.key))
            cell = ws.cell(r, index, value)
            cell.border = border
            fmt = column.number_format or NUMBER_FORMATS.get(column.kind)
            if fmt and value is not None and not isinstance(value, str):
                cell.number_format = fmt
            if offset < 500:  # fitting the widths to the first rows is enough and keeps big files fast
                widths[index - 1] = max(widths[index - 1], _display_width(value))

    for index, column in enumerate(columns, start=1):
        width = column.width or min(50.0, max(6.0, widths[index - 1] + 2))
        ws.column_dimensions[get_column_letter(index)].width = width

    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1).coordinate  # the title rows and the header stay in view
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"  # the header repeats on every printed page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if sheet.rows:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + len(sheet.rows)}"
    if sheet.chart is not None and sheet.rows:
        _add_chart(ws, sheet, columns)


def _add_chart(ws: Any, sheet: Sheet, columns: list[Column]) -> None:
    spec = sheet.chart
    assert spec is not None
    keys = [c.key for c in columns]
    first, last_row = HEADER_ROW + 1, HEADER_ROW + len(sheet.rows)
    chart = XlBarChart()
    chart.type = "col"
    chart.title = spec.title
    chart.y_axis.title = spec.y_title or None
    chart.height, chart.width = 8, 18
    for key in spec.values:
        col = keys.index(key) + 1
        chart.add_data(Reference(ws, min_col=col, min_row=HEADER_ROW, max_row=last_row), titles_from_data=True)
    cat = keys.index(spec.category) + 1
    chart.set_categories(Reference(ws, min_col=cat, min_row=first, max_row=last_row))
    ws.add_chart(chart, f"A{last_row + 3}")


def _write_explanation(ws: Any, report: Report) -> None:
    """The 说明 sheet: what the report is, where its data come from, the filters, and each column's meaning."""
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 80
    ws.cell(1, 1, "说明").font = Font(size=14, bold=True)
    items: list[tuple[str, str]] = [
        ("报表名称", report.title),
        ("填报单位", report.unit),
        ("统计截至", report.as_of_text),
        ("数据来源", report.source),
        ("时间口径", "表中时间均为北京时间（UTC+8）"),
    ]
    items += [(f"筛选条件：{name}", value) for name, value in report.filters] or [("筛选条件", "无")]
    items += list(report.notes)
    row = 3
    for name, value in items:
        ws.cell(row, 1, guard_cell(name)).font = Font(bold=True)
        ws.cell(row, 2, guard_cell(value)).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    for sheet in report.sheets:
        row += 1
        ws.cell(row, 1, guard_cell(f"“{sheet.name}”表各列含义")).font = Font(bold=True)
        row += 1
        for column in sheet.columns:
            ws.cell(row, 1, guard_cell(column.title))
            ws.cell(row, 2, guard_cell(column.meaning or column.title)).alignment = Alignment(wrap_text=True)
            row += 1
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = PAPER_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def report_xlsx(report: Report) -> bytes:
    """Write `report` as an XLSX workbook: one formatted sheet per `Sheet`, then the 说明 sheet."""
    book = Workbook()
    for index, sheet in enumerate(report.sheets):
        ws = book.worksheets[0] if index == 0 else book.create_sheet()
        ws.title = _sheet_name(sheet.name)
        _write_sheet(ws, report, sheet)
    _write_explanation(book.create_sheet("说明"), report)
    book.properties.title = report.title
    book.properties.creator = report.unit or "vehicle-enforce"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    # Excel limits sheet names to 31 characters and refuses []:*?/\ in them.
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31]


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- Lists exported as they are filtered (core/listing.py) ----------------------------------------------
#
# openpyxl's write-only mode: each row goes to the file as it is read from the database, so an export
# of 100,000 rows keeps memory flat (the workbook is never held whole).


def stream_xlsx(
    out: Any,
    *,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
    filters: Sequence[tuple[str, str]] = (),
    notes: Sequence[tuple[str, str]] = (),
) -> int:
    """Write `rows` to `out` (a binary file) as one sheet with Chinese headers, times as date cells in
    Beijing time, then a 说明 sheet (filters, notes, what each column means); return the rows written."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(_sheet_name(title))
    ws.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width or min(
            40.0, max(10.0, _display_width(column.title) + 2, 19.0 if column.kind == "datetime" else 0)
        )
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, guard_cell(column.title))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        header.append(cell)
    ws.append(header)
    formats = [column.number_format or NUMBER_FORMATS.get(column.kind) for column in columns]
    written = 0
    for row in rows:
        values: list[Any] = []
        for column, fmt in zip(columns, formats, strict=True):
            value = cell_value(column, row.get(column.key))
            if fmt and value is not None and not isinstance(value, str):
                cell = WriteOnlyCell(ws, value)
                cell.number_format = fmt
                values.append(cell)
            else:
                values.append(value)
        ws.append(values)
        written += 1
    about = book.create_sheet("说明")
    about.append(["表名", guard_cell(title)])
    about.append(["记录条数", written])
    about.append(["时间口径", "表中时间均为北京时间（UTC+8）"])
    for name, value in filters or [("筛选条件", "无")]:
        about.append([guard_cell(f"筛选条件：{name}" if filters else name), guard_cell(value)])
    for name, value in notes:
        about.append([guard_cell(name), guard_cell(value)])
    book.properties.title = title
    book.save(out)
    return written
