"""The blacklist as a filed XLSX report (core.spreadsheets.report_xlsx)."""

from __future__ import annotations

from tests.reports import column, filed_report
from vehicle_enforce.core.spreadsheets import XLSX_MIMETYPE


def test_blacklist_report(vehicle, client, auth_headers):
    env = auth_headers("environment")
    vid = vehicle("晋E70001")
    listed = client.post("/api/v1/blacklist", json={"vehicle_id": vid, "reason": "冒黑烟"}, headers=env)
    assert listed.status_code == 201, listed.get_data(as_text=True)
    r = client.get("/api/v1/blacklist/report.xlsx?status=active", headers=auth_headers("police"))
    assert r.status_code == 200 and r.mimetype == XLSX_MIMETYPE
    book = filed_report(r.data, title="黑名单", sheet="黑名单")
    ws = book["黑名单"]
    assert [c.value for c in column(ws, "号牌号码")] == ["晋E70001"]
    assert column(ws, "号牌颜色")[0].value == "黄牌" and column(ws, "状态")[0].value == "在列"
    assert column(ws, "列入方式")[0].value == "人工列入" and column(ws, "列入时间")[0].is_date
    released = client.get("/api/v1/blacklist/report.xlsx?status=released", headers=env)
    assert column(filed_report(released.data, title="黑名单", sheet="黑名单")["黑名单"], "号牌号码") == []
    assert client.get("/api/v1/blacklist/report.xlsx?status=gone", headers=env).status_code == 422
    assert client.get("/api/v1/blacklist/report.xlsx", headers=auth_headers("housing")).status_code == 403
