"""Checks every filed XLSX report passes: what a bureau expects on paper and on screen."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

UNIT = "晋城市生态环境局"  # VE_REPORTING_UNIT's default: the city level's reports (the test tokens')


def filed_report(data: bytes, *, title: str, sheet: str) -> Any:
    """Open `data` and assert the layout of `core.spreadsheets.report_xlsx`; answer the workbook."""
    assert data[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[-1] == "说明" and sheet in book.sheetnames
    ws = book[sheet]
    assert title in ws["A1"].value and ws["A1"].font.bold
    assert "A1" in {str(r).split(":")[0] for r in ws.merged_cells.ranges}
    assert ws["A2"].value == f"填报单位（盖章）：{UNIT}"
    assert any(str(c.value or "").startswith("统计截至：") for c in ws[2])
    assert ws.freeze_panes == "A4"  # title, unit and header rows stay in view
    assert ws.print_title_rows == "$3:$3"  # the header row repeats on every page
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert all(ws.column_dimensions[c.column_letter].width >= 6 for c in ws[3])
    notes = {row[0]: row[1] for row in book["说明"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert notes["填报单位"] == UNIT and notes["报表名称"] and notes["数据来源"]
    assert any(str(k).startswith("筛选条件") for k in notes)
    headers = [c.value for c in ws[3]]
    assert all(h in notes for h in headers), "every column is explained on the 说明 sheet"
    return book


def column(ws: Any, header: str) -> list[Any]:
    """The cells under `header` (row 3) of a filed report's sheet."""
    headers = [c.value for c in ws[3]]
    index = headers.index(header)
    return [row[index] for row in ws.iter_rows(min_row=4)]
