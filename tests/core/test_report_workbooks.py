"""Every filed XLSX report (core.spreadsheets.report_xlsx): title, unit, as-of time, frozen header, print
setup, date cells and the 说明 sheet, read back with openpyxl; and the writer's own rules."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl

from tests.reports import UNIT, column, filed_report
from vehicle_enforce.core import spreadsheets
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.summary.units import unit_for, unit_of


def test_writer_types_cells_and_explains_columns(app):
    with app.app_context():
        data = spreadsheets.report_xlsx(
            spreadsheets.Report(
                title="测试报表",
                unit=unit_for(None),
                as_of=datetime(2026, 11, 30, 16, 0, tzinfo=UTC),
                sheets=[
                    spreadsheets.Sheet(
                        "数据",
                        [
                            Column("name", "名称", meaning="对象名称"),
                            Column("n", "数量", "int"),
                            Column("rate", "比率", "percent"),
                            Column("at", "时间", "datetime"),
                            Column("day", "日期", "date"),
                            Column("ok", "是否", "bool"),
                            Column("extra", "附加"),
                        ],
                        [
                            {
                                "name": "=cmd|' /C calc'!A0",
                                "n": 1200,
                                "rate": 0.953,
                                "at": "2026-11-05T01:30:00+00:00",
                                "day": date(2026, 11, 5),
                                "ok": True,
                                "extra": {"a": [1, 2]},
                            }
                        ],
                    )
                ],
                source="测试数据",
                filters=[("月份", "2026-11")],
            )
        )
    book = filed_report(data, title="测试报表", sheet="数据")
    ws = book["数据"]
    assert "统计截至：2026-12-01 00:00（北京时间）" in [c.value for c in ws[2]]  # 16:00 UTC is midnight in Beijing
    name, n, rate, at, day, ok, extra = (c for c in ws[4])
    assert name.value.startswith("'=") and name.data_type == "s"  # formula injection stays text
    assert n.value == 1200 and n.number_format == "#,##0"
    assert rate.value == 0.953 and rate.number_format == "0.0%"
    assert at.is_date and at.value == datetime(2026, 11, 5, 9, 30)  # a real date cell, Beijing time
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert ok.value == "是" and extra.value == '{"a":[1,2]}'  # nested values as JSON, never Python repr
    notes = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True) if r[0]}
    assert notes["名称"] == "对象名称" and notes["筛选条件：月份"] == "2026-11" and notes["填报单位"] == UNIT
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_reporting_unit_is_the_callers_county_bureau(app):
    from vehicle_enforce.auth.models import County
    from vehicle_enforce.core.actors import Actor

    with app.app_context():
        zezhou = County(code="140525", name="泽州县")
        assert unit_for(None) == "晋城市生态环境局"  # the city level (CLI, city staff)
        assert unit_of(zezhou) == "晋城市生态环境局泽州分局"
        assert unit_of(County(code="140502", name="城区")) == "晋城市生态环境局城区分局"
        assert unit_of(County(code="140581", name="高平市")) == "晋城市生态环境局高平分局"
        app.config["REPORTING_UNITS"] = {"140525": "泽州县生态环境保护综合行政执法队"}
        assert unit_of(zezhou) == "泽州县生态环境保护综合行政执法队"
        app.config["REPORTING_UNIT"] = "晋城市生态环境局（测试）"
        assert unit_for(Actor("token", 1, "x", "environment")) == "晋城市生态环境局（测试）"
        data = spreadsheets.report_xlsx(spreadsheets.Report("表", unit_of(zezhou), date(2026, 11, 30), [], source="无"))
    notes = {r[0]: r[1] for r in openpyxl.load_workbook(io.BytesIO(data))["说明"].iter_rows(values_only=True) if r[0]}
    assert notes["填报单位"] == "泽州县生态环境保护综合行政执法队" and notes["统计截至"] == "2026-11-30"


def test_transmission_rate_report(client, auth_headers, app):
    from tests.exports.test_exports_delivery import emit_records

    emit_records(3)
    r = client.get("/api/v1/exports/status.xlsx?since=2000-01-01&until=2100-01-01", headers=auth_headers("transport"))
    assert r.status_code == 200
    book = filed_report(r.data, title="数据传输率统计表", sheet="按日")
    assert book.sheetnames == ["按日", "按站点", "按县", "按记录类型", "按平台", "说明"]
    day = column(book["按日"], "日期")[0]
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert [c.value for c in column(book["按平台"], "应传（条）")][-1] > 0
    assert column(book["按平台"], "传输率")[-1].number_format == "0.0%"


def test_nrmm_registry_and_plan_reports(client, auth_headers):
    env = auth_headers("environment")
    machine = {
        "pin": "RPT-1",
        "machine_type": "excavator",
        "emission_stage": 3,
        "fuel": "diesel",
        "rated_power_kw": 75.5,
        "registered_on": "2019-10-01",
    }
    assert client.post("/api/v1/nrmm/machines", json=machine, headers=env).status_code == 201
    r = client.get("/api/v1/nrmm/machines/export?format=xlsx", headers=env)
    book = filed_report(r.data, title="非道路移动机械登记台账", sheet="非道路移动机械")
    ws = book["非道路移动机械"]
    assert column(ws, "机械识别码（PIN）")[0].value == "RPT-1" and column(ws, "燃料类型")[0].value == "柴油"
    registered = column(ws, "登记日期")[0]
    assert registered.is_date and registered.value.date() == date(2019, 10, 1)
    assert column(ws, "额定净功率（kW）")[0].value == 75.5

    plan = client.post("/api/v1/nrmm/sampling-plans", json={"month": "2019-11", "seed": 1, "share": 1.0}, headers=env)
    assert plan.status_code == 201
    r = client.get("/api/v1/nrmm/sampling-plans/2019-11/report.xlsx", headers=env)
    book = filed_report(r.data, title="2019年11月非道路移动机械抽查计划", sheet="抽查计划")
    assert column(book["抽查计划"], "抽查状态")[0].value == "待检"
    notes = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True) if row[0]}
    assert notes["随机种子"] == "1" and notes["筛选条件：月份"] == "2019-11"
    assert client.get("/api/v1/nrmm/sampling-plans/2030-01/report.xlsx", headers=env).status_code == 404
