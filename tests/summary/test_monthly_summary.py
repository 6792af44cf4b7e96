"""The county's monthly summary: one CLI command writes it as XLSX (native charts) or PDF (charts as SVG,
fonts embedded); the figures are those of the month's stored records, in Beijing days."""

from __future__ import annotations

import io
import re
import subprocess

import openpyxl
import pytest

from tests.passes import pass_body
from tests.reports import UNIT, column, filed_report
from tests.web.conftest import SCREENSHOTS

#: Passes at JC-RS-01 counted by Beijing day: M1 (1 November 00:30 in Beijing, 31 October in UTC) counts
#: for November, O1 (31 October 23:30 in Beijing, exceeding) for October; M2 exceeds.
PASSES = [
    ("M1", "2019-11-01T00:30:00+08:00", {}),
    ("M2", "2019-11-05T10:00:00+08:00", {"opacity_pct": 45.0}),
    ("M3", "2019-11-30T23:50:00+08:00", {}),
    ("O1", "2019-10-31T23:30:00+08:00", {"opacity_pct": 60.0}),
]


@pytest.fixture
def november(app, client, auth_headers, station_factory):
    station_factory("JC-RS-01", "remote_sensing")
    body = {"passes": [pass_body(rid, at, **over) for rid, at, over in PASSES]}
    r = client.post("/api/v1/remote-sensing/passes", json=body, headers=auth_headers("station", station="JC-RS-01"))
    assert r.status_code in (200, 201), r.get_data(as_text=True)


def _overview(book: openpyxl.Workbook) -> dict[str, object]:
    ws = book["概况"]
    return {n.value: v.value for n, v in zip(column(ws, "指标"), column(ws, "数值"), strict=True)}


def test_monthly_xlsx_from_the_cli(november, runner, tmp_path):
    out = tmp_path / "m.xlsx"
    result = runner.invoke(["reports", "monthly", "--month", "2019-11", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 passes, 1 exceeding" in result.output
    book = filed_report(out.read_bytes(), title="2019年11月机动车排放监管工作月报", sheet="概况")
    figures = _overview(book)
    assert figures["检测车次"] == 3 and figures["超标车次"] == 1 and figures["有效检测"] == 3
    assert figures["超标率（超标 ÷ 有效）"] == pytest.approx(33.3)
    days = book["每日遥感"]
    first = column(days, "日期")[0]
    assert first.is_date and first.value.date().isoformat() == "2019-11-01" and len(column(days, "日期")) == 30
    assert [c.value for c in column(days, "检测车次")][:5] == [1, 0, 0, 0, 1]
    assert len(days._charts) == 1 and len(book["案件环节"]._charts) == 1  # native bar charts
    assert filed_report(out.read_bytes(), title="遥感检测每日车次", sheet="每日遥感")


def test_monthly_pdf_from_the_cli(november, runner, tmp_path):
    out = tmp_path / "m.pdf"
    result = runner.invoke(["reports", "monthly", "--month", "2019-11", "--out", str(out)])  # format from suffix
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "2019年11月机动车排放监管工作月报" in text and UNIT in text.replace("\n", "").replace(" ", "")
    assert re.search(r"检测车次\s+3\s+车次", text) and re.search(r"超标车次\s+1\s+车次", text)
    assert "2019-11-01 至 2019-11-30" in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded
    # Its first page as a picture, for a person to look at (test-output/reports/).
    shots = SCREENSHOTS.parent / "reports"
    shots.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "2", str(out), str(shots / "monthly")], check=True)
    assert (shots / "monthly-1.png").exists()


def test_monthly_api_and_refusals(november, client, auth_headers, runner, tmp_path):
    env = auth_headers("environment")
    data = client.get("/api/v1/reports/monthly.json?month=2019-11", headers=env).get_json()
    assert data["passes"] == {"total": 3, "valid": 3, "exceed": 1, "exceed_rate": 0.3333}
    october = client.get("/api/v1/reports/monthly.json?month=2019-10", headers=auth_headers("transport")).get_json()
    assert october["passes"]["total"] == 1 and october["days"][-1] == {
        "day": "2019-10-31",
        "passes": 1,
        "valid": 1,
        "exceed": 1,
    }
    xlsx = client.get("/api/v1/reports/monthly.xlsx?month=2019-11", headers=env)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    bad = client.get("/api/v1/reports/monthly.xlsx?month=2019-13", headers=env)
    assert bad.status_code == 422 and "month" in bad.get_json()["error"]["fields"]
    assert client.get("/api/v1/reports/monthly.doc?month=2019-11", headers=env).status_code == 404
    assert client.get("/api/v1/reports/monthly.json?month=2019-11", headers=auth_headers("police")).status_code == 403
    result = runner.invoke(["reports", "monthly", "--month", "2019-1", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code != 0 and "YYYY-MM" in result.output
    result = runner.invoke(["reports", "monthly", "--month", "2019-11", "--out", str(tmp_path / "x.doc")])
    assert result.exit_code != 0


@pytest.fixture
def two_counties(app, client, auth_headers):
    """Passes at 泽州县's JC-RS-09 (two, one exceeding) and 高平市's GP-RS-01 (one); a token per county."""
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import CountyIn, TokenIn, TownshipIn
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.inspections import stations

    system = actors.system("test")
    services.create_county(CountyIn(code="140581", name="高平市"), actor=system)
    services.create_township(TownshipIn(code="mishan", name="米山镇", county="140581"), actor=system)
    stations.create_station(code="GP-RS-01", kind="remote_sensing", name="米山镇遥感", township="米山镇", actor=system)
    stations.create_station(code="JC-RS-09", kind="remote_sensing", name="巴公镇遥感", township="巴公镇", actor=system)
    tokens = {
        county: services.create_token(
            TokenIn(name=f"env-{county}", department=Department.environment, county=county), actor=system
        )
        for county in ("泽州县", "高平市")
    }
    transaction.commit()
    for station, passes in (
        (
            "JC-RS-09",
            [("Z1", "2019-11-03T10:00:00+08:00", {}), ("Z2", "2019-11-04T10:00:00+08:00", {"opacity_pct": 50.0})],
        ),
        ("GP-RS-01", [("G1", "2019-11-03T11:00:00+08:00", {})]),
    ):
        body = {"passes": [pass_body(rid, at, station=station, **over) for rid, at, over in passes]}
        r = client.post("/api/v1/remote-sensing/passes", json=body, headers=auth_headers("station", station=station))
        assert r.status_code in (200, 201), r.get_data(as_text=True)
    return {county: {"Authorization": f"Bearer {issued.secret}"} for county, issued in tokens.items()}


def test_a_county_reports_on_its_own_county(two_counties, client, auth_headers, runner, tmp_path):
    url = "/api/v1/reports/monthly.json?month=2019-11"
    zezhou = client.get(url, headers=two_counties["泽州县"]).get_json()
    assert zezhou["county"] == {"code": "140525", "name": "泽州县"}
    assert (zezhou["passes"]["total"], zezhou["passes"]["exceed"]) == (2, 1)
    assert client.get(url, headers=two_counties["高平市"]).get_json()["passes"]["total"] == 1
    city = auth_headers("environment")
    assert client.get(url, headers=city).get_json()["passes"]["total"] == 3  # the city level: every county
    assert client.get(url + "&county=140581", headers=city).get_json()["passes"]["total"] == 1
    refused = client.get(url + "&county=高平市", headers=two_counties["泽州县"])
    assert refused.status_code == 403  # a county reports on its own county only
    xlsx = client.get("/api/v1/reports/monthly.xlsx?month=2019-11", headers=two_counties["泽州县"])
    book = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    ws = book["概况"]
    assert ws["A1"].value == "泽州县2019年11月机动车排放监管工作月报"
    assert ws["A2"].value == "填报单位（盖章）：晋城市生态环境局泽州分局"  # the county's bureau
    out = tmp_path / "gp.xlsx"
    result = runner.invoke(["reports", "monthly", "--month", "2019-11", "--county", "高平市", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 passes" in result.output
    assert openpyxl.load_workbook(out)["概况"]["A2"].value == "填报单位（盖章）：晋城市生态环境局高平分局"
    bad = runner.invoke(["reports", "monthly", "--month", "2019-11", "--county", "火星县", "--out", str(out)])
    assert bad.exit_code != 0 and "county" in bad.output


def test_phaseout_workbook_of_the_city_has_a_row_per_county(two_counties, client, auth_headers):
    city = client.get("/api/v1/phaseout/progress.xlsx?as_of=2019-12-31", headers=auth_headers("transport"))
    book = filed_report(city.data, title="淘汰进度", sheet="淘汰进度")
    places = [c.value for c in column(book["淘汰进度"], "乡镇")]
    assert {"泽州县合计", "高平市合计"} <= set(places) and places[-1] == "全市合计"
    own = client.get("/api/v1/phaseout/progress.xlsx?as_of=2019-12-31", headers=two_counties["高平市"])
    ws = openpyxl.load_workbook(io.BytesIO(own.data))["淘汰进度"]
    assert ws["A2"].value == "填报单位（盖章）：晋城市生态环境局高平分局"
    assert [c.value for c in column(ws, "乡镇")] == ["米山镇", "全县合计"]
