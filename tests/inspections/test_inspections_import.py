"""`vehicle-enforce import remote-sensing`: both vendor layouts, both encodings, broken rows, reruns.

Every row's verdict in expected.csv must come out of the import; `rejected` rows go to the error report.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

FILES = {"vendor_a_hj845.csv": "hj845-csv", "vendor_b.xlsx": "vendor-b-xlsx"}


def _expected(shared_dir: Path, name: str) -> dict[str, tuple[str, str]]:
    with (shared_dir / "data/remote_sensing/expected.csv").open(encoding="utf-8") as fh:
        return {r["record_id"]: (r["expected"], r["reasons"]) for r in csv.DictReader(fh) if r["file"] == name}


def _stored() -> dict[str, Any]:
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import RemoteSensingPass

    return {p.record_id: p for p in db.session.scalars(select(RemoteSensingPass))}


@pytest.fixture
def rs_stations(station_factory: Any) -> None:
    station_factory("JC-RS-01", "remote_sensing")
    station_factory("JC-RS-02", "remote_sensing")


@pytest.mark.parametrize("name", sorted(FILES))
def test_import_reproduces_every_expected_verdict(
    app: Any, runner: Any, shared_dir: Path, tmp_path: Path, rs_stations: None, name: str
) -> None:
    source = shared_dir / "data/remote_sensing" / name
    report = tmp_path / "errors.csv"
    result = runner.invoke(["import", "remote-sensing", str(source), "--format", FILES[name], "--errors", str(report)])
    assert result.exit_code == 0, result.output
    expected = _expected(shared_dir, name)
    stored = _stored()
    rejected = {rid for rid, (verdict, _) in expected.items() if verdict == "rejected"}
    for record_id, (verdict, reasons) in expected.items():
        if verdict == "rejected":
            assert record_id not in stored
            continue
        p = stored[record_id]
        got = p.invalid_reasons if p.verdict == "invalid" else [e["item"] for e in p.exceeded]
        assert p.verdict == verdict, record_id
        if "device" not in reasons.split(";"):  # library policy: see remote_sensing/README.md
            assert ";".join(got) == reasons, record_id
    assert len(stored) == len(expected) - len(rejected)
    with report.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(rejected)
    assert all(r["problem"] for r in rows)
    summary = result.output.strip().splitlines()[-2]
    assert f"stored {len(stored)}" in summary and f"rejected {len(rejected)}" in summary

    rerun = runner.invoke(["import", "remote-sensing", str(source), "--format", FILES[name], "--errors", str(report)])
    assert f"stored 0  duplicate {len(stored)}" in rerun.output
    assert len(_stored()) == len(stored)


def test_utf8_copy_imports_the_same_and_station_override(
    app: Any, runner: Any, shared_dir: Path, tmp_path: Path, rs_stations: None
) -> None:
    gbk = (shared_dir / "data/remote_sensing/vendor_a_hj845.csv").read_bytes().decode("gbk")
    utf8 = tmp_path / "vendor_a_utf8.csv"
    utf8.write_text(gbk, encoding="utf-8")
    result = runner.invoke(
        ["import", "remote-sensing", str(utf8), "--format", "hj845-csv", "--station", "JC-RS-02", "--batch-size", "7"]
    )
    assert result.exit_code == 0, result.output
    stored = _stored()
    expected = _expected(shared_dir, "vendor_a_hj845.csv")
    assert {p.station.code for p in stored.values()} == {"JC-RS-02"}
    assert all(stored[rid].verdict == v for rid, (v, _) in expected.items() if v != "rejected")
    plates = {p.plate for p in stored.values()}
    assert any(p.startswith("晋E") for p in plates)  # decoded Chinese, not mojibake
    assert (tmp_path / "vendor_a_utf8.csv.errors.csv").exists()


def test_unknown_station_and_layout(app: Any, runner: Any, shared_dir: Path, tmp_path: Path) -> None:
    source = shared_dir / "data/remote_sensing/vendor_a_hj845.csv"
    result = runner.invoke(["import", "remote-sensing", str(source), "--format", "hj845-csv", "--station", "NOPE"])
    assert result.exit_code != 0 and "unknown station" in result.output
    bogus = tmp_path / "bogus.csv"
    bogus.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    result = runner.invoke(["import", "remote-sensing", str(bogus), "--format", "hj845-csv"])
    assert result.exit_code != 0


def test_rows_for_unknown_stations_are_rejected_into_the_report(
    app: Any, runner: Any, shared_dir: Path, tmp_path: Path
) -> None:
    source = shared_dir / "data/remote_sensing/vendor_a_hj845.csv"
    report = tmp_path / "errors.csv"
    result = runner.invoke(["import", "remote-sensing", str(source), "--format", "hj845-csv", "--errors", str(report)])
    assert result.exit_code == 0
    assert "stored 0" in result.output
    with report.open(encoding="utf-8-sig") as fh:
        problems = {r["problem"] for r in csv.DictReader(fh)}
    assert "站点不存在" in problems  # the Chinese message of code unknown_station


def test_error_report_defuses_formulas_from_the_vendor_file(
    app: Any, runner: Any, shared_dir: Path, tmp_path: Path, rs_stations: None
) -> None:
    lines = (shared_dir / "data/remote_sensing/vendor_a_hj845.csv").read_bytes().decode("gbk").splitlines()
    header, first = lines[0], lines[1].split(",")
    first[header.split(",").index("CLSD")] = "=1+2"  # the speed cell carries a formula
    source = tmp_path / "formula.csv"
    source.write_text(f"{header}\n{','.join(first)}\n", encoding="utf-8")
    report = tmp_path / "errors.csv"
    result = runner.invoke(["import", "remote-sensing", str(source), "--format", "hj845-csv", "--errors", str(report)])
    assert result.exit_code == 0, result.output
    with report.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["raw"] for r in rows] == ["'=1+2"]
