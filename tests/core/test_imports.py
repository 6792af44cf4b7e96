"""The importers' shared core (`core.imports`): reading in chunks, the refusal, the guarded error report
and the savepoint per row."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest


def _rows(table: Any) -> list[tuple[int, dict[str, Any]]]:
    return [row for chunk in table.chunks for row in chunk]


def test_csv_is_read_in_chunks_with_file_row_numbers_in_either_encoding(tmp_path: Path) -> None:
    from vehicle_enforce.core.imports import open_table

    for encoding in ("utf-8", "gbk"):
        source = tmp_path / f"t-{encoding}.csv"
        source.write_bytes("号牌,数量\n晋E1,1\n晋E2,\n晋E3,3\n".encode(encoding))
        table = open_table(source, chunk_rows=2)
        chunks = list(table.chunks)
        assert [len(c) for c in chunks] == [2, 1]
        assert [row for c in chunks for row in c] == [
            (2, {"号牌": "晋E1", "数量": "1"}),
            (3, {"号牌": "晋E2", "数量": ""}),  # empty stays empty text, never NaN
            (4, {"号牌": "晋E3", "数量": "3"}),
        ]
        assert table.header == ["号牌", "数量"]


def test_xlsx_rows_skip_blank_lines_and_numbers_read_as_text(tmp_path: Path) -> None:
    import openpyxl

    from vehicle_enforce.core.imports import cell_text, open_table

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["PIN", "额定功率"], ["LX1", 75.0], [None, None], ["LX2", 55.5]):
        sheet.append(row)
    source = tmp_path / "t.xlsx"
    book.save(source)
    rows = _rows(open_table(source))
    assert [(n, cell_text(r["PIN"]), cell_text(r["额定功率"])) for n, r in rows] == [
        (2, "LX1", "75"),
        (4, "LX2", "55.5"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("t.json", b"{}", "unsupported type"),
        ("t.xlsx", b"not a zip", "malformed"),
        ("t.csv", b"a,b\n1,2\n3,4,5\n", "malformed"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    from vehicle_enforce.core.imports import ImportRefused, open_table

    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(ImportRefused) as refused:
        _rows(open_table(source))
    assert refused.value.fields == {"file": problem}
    with pytest.raises(ImportRefused):
        open_table(tmp_path / "missing.csv")


def test_error_report_guards_every_cell_and_exists_only_once_a_row_is_rejected(tmp_path: Path) -> None:
    from vehicle_enforce.core.imports import ErrorReport

    path = tmp_path / "errors.csv"
    report = ErrorReport(path, ["row", "column", "value", "problem"])
    assert report.close() is None and not path.exists()

    report = ErrorReport(path, ["row", "column", "value", "problem"])
    report.add(7, "=cmd()", '=HYPERLINK("http://x")', "-1 is below zero")
    report.add(8, "plate", None, "@SUM(A1)")
    assert report.rows == 2
    assert report.close() == path
    with path.open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines == [
        ["row", "column", "value", "problem"],
        ["7", "'=cmd()", '\'=HYPERLINK("http://x")', "'-1 is below zero"],
        ["8", "plate", "", "'@SUM(A1)"],
    ]

    counted = ErrorReport(None, ["row"])  # no path: rows are only counted
    counted.add(1, "x")
    assert counted.rows == 1 and counted.close() is None


def test_a_refused_row_is_undone_alone_in_its_savepoint(app: Any) -> None:
    from sqlalchemy import func, select

    from vehicle_enforce.core.errors import Invalid
    from vehicle_enforce.core.imports import row_savepoint
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm.models import Site

    with row_savepoint():
        db.session.add(Site(name="巴公镇某工地", kind="construction"))
    with pytest.raises(Invalid) as refused, row_savepoint():
        db.session.add(Site(name="高都镇某工地", kind="construction"))
        db.session.add(Site(name="巴公镇某工地", kind="construction"))  # the name is unique: only the database says so
    assert refused.value.fields == {"row": "与已存储的记录冲突"}
    with row_savepoint():
        db.session.add(Site(name="大阳镇某工地", kind="construction"))
    names = set(db.session.scalars(select(Site.name)))
    assert names == {"巴公镇某工地", "大阳镇某工地"}
    assert db.session.scalar(select(func.count()).select_from(Site)) == 2
