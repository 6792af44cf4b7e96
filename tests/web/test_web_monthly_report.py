"""The export status page links the transmission-rate report and last month's summary; a logged-in
environment user downloads them from the page."""

from __future__ import annotations

import re

from tests.reports import filed_report


def test_export_page_links_the_reports(app, make_user):
    username, password = make_user("u-env-reports", "environment")
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password})
    page = client.get("/ops/exports/").get_data(as_text=True)
    links = re.findall(r'href="(/api/v1/(?:reports|exports)/[^"]+)"', page)
    assert any("/api/v1/reports/monthly.xlsx?month=" in link for link in links)
    assert any("/api/v1/reports/monthly.pdf?month=" in link for link in links)
    status = next(link for link in links if "status.xlsx" in link).replace("&amp;", "&")
    filed_report(client.get(status).data, title="数据传输率统计表", sheet="按日")
    monthly = next(link for link in links if "monthly.xlsx" in link)
    filed_report(client.get(monthly).data, title="机动车排放监管工作月报", sheet="概况")
