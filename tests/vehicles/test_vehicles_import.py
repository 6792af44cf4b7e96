"""`vehicle-enforce import vehicles`: CSV (UTF-8, GBK) and XLSX, upsert, error report, all-or-nothing files."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest
from sqlalchemy import func, select

CREDIT_CODE = "91350100M000100Y43"
HEADER = [
    "号牌号码",
    "号牌颜色",
    "车辆识别代号",
    "车辆类型",
    "燃料种类",
    "排放标准",
    "初次登记日期",
    "使用性质",
    "所有人",
    "统一社会信用代码",
    "乡镇",
]
GOOD = [
    [
        "晋E12345",
        "黄色",
        "1M8GDM9AXKP042788",
        "重型货车",
        "柴油",
        "国三",
        "2012-05-04",
        "营运",
        "泽州县鑫达物流有限公司",
        CREDIT_CODE,
        "巴公镇",
    ],
    [
        "晋E54321",
        "2",
        "",
        "重型半挂牵引车",
        "柴油",
        "",
        "2013/06/30",
        "营运",
        "泽州县鑫达物流有限公司",
        CREDIT_CODE,
        "南村镇",
    ],
    ["晋EA1234", "蓝", "LSVAU2180N2183294", "K33", "汽油", "国VI", "2021-09-01", "非营运", "张三", "", "巴公镇"],
]
BROKEN = [
    ["晋E1234", "黄色", "", "重型货车", "柴油", "国三", "2012-05-04", "营运", "李四", "", ""],  # plate too short
    [
        "晋E77777",
        "黄色",
        "",
        "飞船",
        "柴油",
        "国九",
        "2012-05-04",
        "营运",
        "李四",
        "",
        "火星镇",
    ],  # type, standard, township
]


def write_csv(path, rows, encoding="utf-8", header=HEADER):
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, rows, header=HEADER):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def vehicles():
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Vehicle

    db.session.expire_all()
    return {(v.plate, v.plate_color): v for v in db.session.scalars(select(Vehicle))}


def count(model):
    from vehicle_enforce.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def read_errors(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))[1:]


@pytest.mark.parametrize("kind", ["utf-8", "gbk", "xlsx"])
def test_import_good_and_broken_rows(runner, tmp_path, kind):
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.vehicles.models import Owner

    rows = GOOD + BROKEN
    if kind == "xlsx":
        source = write_xlsx(tmp_path / "vehicles.xlsx", rows)
    else:
        source = write_csv(tmp_path / "vehicles.csv", rows, encoding=kind)
    result = runner.invoke(["import", "vehicles", str(source)])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged, 2 rejected" in result.output

    stored = vehicles()
    assert set(stored) == {("晋E12345", "yellow"), ("晋E54321", "yellow"), ("晋EA1234", "blue")}
    tractor = stored[("晋E54321", "yellow")]
    assert tractor.vehicle_type == "tractor" and tractor.emission_standard == 3 and tractor.emission_standard_inferred
    assert stored[("晋EA1234", "blue")].vehicle_type == "car" and stored[("晋EA1234", "blue")].emission_standard == 6
    assert stored[("晋E12345", "yellow")].owner_id == tractor.owner_id  # one enterprise, two vehicles
    assert stored[("晋EA1234", "blue")].owner.name == "张三" and stored[("晋EA1234", "blue")].owner.kind == "person"
    assert tractor.owner.credit_code == CREDIT_CODE
    assert count(Owner) == 2

    errors = read_errors(tmp_path / "vehicles.errors.csv")
    by_row = {}
    for row, column, _value, problem in errors:
        by_row.setdefault(int(row), {})[column] = problem
    assert set(by_row) == {5, 6}
    assert set(by_row[5]) == {"号牌号码"}
    assert set(by_row[6]) == {"车辆类型", "排放标准", "乡镇"}
    assert "unknown township" in by_row[6]["乡镇"]

    from vehicle_enforce.extensions import db

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vehicle.import"))
    assert entry.changes["created"] == 3 and entry.changes["rejected"] == 2 and len(entry.changes["sha256"]) == 64


def test_reimporting_a_newer_file_updates_without_duplicates(runner, tmp_path):
    from vehicle_enforce.vehicles.models import Owner, Vehicle

    first = write_csv(tmp_path / "v1.csv", GOOD)
    assert runner.invoke(["import", "vehicles", str(first)]).exit_code == 0
    ids = {key: v.id for key, v in vehicles().items()}
    owners = count(Owner)

    newer = [list(r) for r in GOOD]
    newer[0][5] = "国四"  # the standard was corrected
    newer[1][8] = "泽州县鑫达物流集团有限公司"  # the enterprise was renamed
    result = runner.invoke(["import", "vehicles", str(write_csv(tmp_path / "v2.csv", newer))])
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 2 unchanged, 0 rejected" in result.output
    stored = vehicles()
    assert {key: v.id for key, v in stored.items()} == ids
    assert stored[("晋E12345", "yellow")].emission_standard == 4
    assert count(Vehicle) == 3 and count(Owner) == owners  # the person 张三 is reused, not duplicated
    from vehicle_enforce.extensions import db

    assert db.session.get(Owner, stored[("晋E12345", "yellow")].owner_id).name == "泽州县鑫达物流集团有限公司"

    again = runner.invoke(["import", "vehicles", str(write_csv(tmp_path / "v3.csv", newer))])
    assert "0 created, 0 updated, 3 unchanged" in again.output


def test_missing_required_column_imports_nothing(runner, tmp_path):
    from vehicle_enforce.vehicles.models import Vehicle

    header = [h for h in HEADER if h != "燃料种类"]
    rows = [[c for i, c in enumerate(r) if HEADER[i] != "燃料种类"] for r in GOOD]
    result = runner.invoke(["import", "vehicles", str(write_csv(tmp_path / "v.csv", rows, header=header))])
    assert result.exit_code == 1 and "fuel" in result.output
    assert count(Vehicle) == 0


def test_malformed_line_after_good_chunks_imports_nothing(app, tmp_path):
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.core.imports import ImportRefused
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles import importer
    from vehicle_enforce.vehicles.models import Vehicle

    source = write_csv(tmp_path / "v.csv", GOOD)
    with source.open("a", encoding="utf-8") as fh:
        fh.write("晋E99999,黄色,,重型货车,柴油,国三,2012-05-04,营运,王五,,巴公镇,extra,fields\n")
    with pytest.raises(ImportRefused, match="malformed"):
        importer.import_vehicles(source, chunk_rows=1, actor=SYSTEM)
    db.session.rollback()
    assert count(Vehicle) == 0
    assert not (tmp_path / "v.errors.csv").exists()


def test_wrong_encoding_is_refused_whole(runner, tmp_path):
    from vehicle_enforce.vehicles.models import Vehicle

    source = write_csv(tmp_path / "v.csv", GOOD, encoding="gbk")
    result = runner.invoke(["import", "vehicles", "--encoding", "utf-8", str(source)])
    assert result.exit_code == 1 and "nothing imported" in result.output
    assert count(Vehicle) == 0


def test_broken_workbook_is_refused(runner, tmp_path):
    source = tmp_path / "v.xlsx"
    source.write_bytes(b"PK\x03\x04 not really a workbook")
    result = runner.invoke(["import", "vehicles", str(source)])
    assert result.exit_code == 1 and "XLSX" in result.output


def test_mapping_file_and_colour_codes(runner, tmp_path):
    header = ["HPHM", "HPYS", "CLLX", "RLZL", "CCDJRQ"]
    rows = [["晋E11111", "1", "H11", "B", "20150304"], ["晋E22222", "0", "H31", "A", "2015-03-04"]]
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {
                    "plate": "HPHM",
                    "plate_color": "HPYS",
                    "vehicle_type": "CLLX",
                    "fuel": "RLZL",
                    "registration_date": "CCDJRQ",
                },
                "color_scheme": "hj845_a",
            }
        ),
        encoding="utf-8",
    )
    source = write_csv(tmp_path / "v.csv", rows, header=header)
    result = runner.invoke(["import", "vehicles", "--mapping", str(mapping), str(source)])
    assert result.exit_code == 0, result.output
    stored = vehicles()
    assert set(stored) == {("晋E11111", "yellow"), ("晋E22222", "blue")}
    assert (
        stored[("晋E22222", "blue")].vehicle_type == "light_truck" and stored[("晋E22222", "blue")].fuel == "gasoline"
    )
    assert stored[("晋E11111", "yellow")].vehicle_type == "heavy_truck"
    assert stored[("晋E11111", "yellow")].emission_standard == 4  # inferred: heavy diesel registered 2015
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"columns": {"plate": "NOPE"}}), encoding="utf-8")
    refused = runner.invoke(["import", "vehicles", "--mapping", str(bad), str(source)])
    assert refused.exit_code == 1 and "NOPE" in refused.output


def test_dry_run_stores_nothing_but_reports(runner, tmp_path):
    from vehicle_enforce.vehicles.models import Vehicle

    out = tmp_path / "report.csv"
    source = write_csv(tmp_path / "v.csv", GOOD + BROKEN)
    result = runner.invoke(["import", "vehicles", "--dry-run", "--errors-out", str(out), str(source)])
    assert result.exit_code == 0 and "dry run" in result.output
    assert count(Vehicle) == 0
    assert {int(r[0]) for r in read_errors(out)} == {5, 6}


def test_error_report_defuses_formulas(runner, tmp_path):
    rows = [['=HYPERLINK("http://x")', "黄色", "", "重型货车", "柴油", "国三", "2012-05-04", "营运", "x", "", ""]]
    runner.invoke(["import", "vehicles", str(write_csv(tmp_path / "v.csv", rows))])
    value = read_errors(tmp_path / "v.errors.csv")[0][2]
    assert value.startswith("'=")
