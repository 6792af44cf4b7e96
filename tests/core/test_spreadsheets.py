"""Spreadsheet exports keep text inert (no formula injection) and open correctly in Excel."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from vehicle_enforce.core.spreadsheets import guard_cell, to_csv_bytes, to_xlsx_bytes


def test_guard_cell_neutralises_formulas_only_in_text():
    assert guard_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [guard_cell(v) for v in ("+1", "-2", "@SUM(A1)", "\tx", "\rx")] == [
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
    ]
    assert guard_cell("巴公镇") == "巴公镇"
    assert guard_cell(-5) == -5 and guard_cell(None) is None


def test_csv_has_a_bom_and_guarded_cells():
    frame = pd.DataFrame({"乡镇": ["巴公镇", "=cmd|' /C calc'!A0"], "数量": [3, -1]})
    body = to_csv_bytes(frame)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "'=cmd" in text and "巴公镇" in text and ",-1" in text


def test_xlsx_sheets_are_guarded_and_numbers_stay_numbers():
    frames = {"进度": pd.DataFrame({"名称": ["@evil"], "值": [-3]}), "说明": pd.DataFrame({"a": ["ok"]})}
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(frames)))
    assert book.sheetnames == ["进度", "说明"]
    sheet = book["进度"]
    assert sheet["A2"].value == "'@evil" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -3
