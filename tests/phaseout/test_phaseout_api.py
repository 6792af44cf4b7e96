"""The phase-out API over HTTP: access, errors, idempotent actions, exports, charts, alerts and the CLI."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.reports import filed_report
from vehicle_enforce.core.actors import SYSTEM
from vehicle_enforce.phaseout.models import ActionKind
from vehicle_enforce.phaseout.schemas import ActionIn, QuotaItemIn, QuotasIn

QUOTAS = {
    "period": "2019-2020",
    "starts_on": "2019-01-01",
    "quotas": [{"township": "bagong", "quota": 10}, {"township": "gaodu", "quota": 5}],
}


def _scrap(client, headers, vehicle_id, day="2019-11-20", **extra):
    body = {"kind": "scrapped", "action_date": day, "vehicle_id": vehicle_id, "certificate_no": "BF-1", **extra}
    return client.post("/api/v1/phaseout/actions", json=body, headers=headers)


def test_empty_progress_answers_zeros(client, auth_headers):
    response = client.get("/api/v1/phaseout/progress?as_of=2019-12-31", headers=auth_headers("environment"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["county"]["done"] == 0 and body["county"]["quota"] == 0
    assert body["county"]["percent"] is None
    assert {r["percent"] for r in body["townships"]} == {None}


def test_quotas_actions_and_progress_over_http(client, auth_headers, county):
    transport = auth_headers("transport")
    assert client.post("/api/v1/phaseout/quotas", json=QUOTAS, headers=transport).status_code == 200
    listed = client.get("/api/v1/phaseout/quotas", headers=auth_headers("environment")).get_json()["results"]
    assert {(q["township_code"], q["quota"]) for q in listed[0]["quotas"]} == {("bagong", 10), ("gaodu", 5)}

    first = _scrap(client, transport, county.vehicles["china3"], subsidy_amount="18000.50", evidence_files=["a.jpg"])
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["subsidy_amount"] == "18000.50"
    retry = _scrap(client, transport, county.vehicles["china3"], subsidy_amount="18000.50", evidence_files=["a.jpg"])
    assert retry.status_code == 200 and retry.get_json()["id"] == first.get_json()["id"]
    contradiction = client.post(
        "/api/v1/phaseout/actions",
        json={"kind": "deregistered", "action_date": "2019-11-21", "vehicle_id": county.vehicles["china3"]},
        headers=transport,
    )
    assert contradiction.status_code == 409
    assert contradiction.get_json()["error"]["fields"] == {"kind": "already scrapped"}

    progress = client.get("/api/v1/phaseout/progress?as_of=2019-11-30", headers=transport).get_json()
    bagong = next(r for r in progress["townships"] if r["township_code"] == "bagong")
    assert (bagong["done"], bagong["quota"], bagong["percent"]) == (1, 10, 10.0)
    assert progress["county"]["done"] == 1

    actions = client.get("/api/v1/phaseout/actions?limit=1", headers=transport).get_json()
    assert len(actions["results"]) == 1 and actions["next_cursor"] is None


def test_bad_input_gets_clear_errors(client, auth_headers, county):
    transport = auth_headers("transport")
    missing = client.post(
        "/api/v1/phaseout/actions",
        json={"kind": "scrapped", "action_date": "2019-11-20", "vehicle_id": county.vehicles["b1"]},
        headers=transport,
    )
    assert missing.status_code == 422
    assert missing.get_json()["error"]["fields"] == {"certificate_no": "required when scrapped"}
    wrong_kind = client.post(
        "/api/v1/phaseout/actions",
        json={"kind": "sold", "action_date": "2019-11-20", "vehicle_id": 1},
        headers=transport,
    )
    assert wrong_kind.status_code == 422 and "kind" in wrong_kind.get_json()["error"]["fields"]
    bad_date = client.get("/api/v1/phaseout/progress?as_of=2019-13-40", headers=transport)
    assert bad_date.status_code == 422 and "as_of" in bad_date.get_json()["error"]["fields"]
    bad_quota = client.post(
        "/api/v1/phaseout/quotas",
        json={"period": "2019-2020", "quotas": [{"township": "x", "quota": 1}]},
        headers=transport,
    )
    assert bad_quota.status_code == 422
    assert bad_quota.get_json()["error"]["fields"] == {"quotas.0.township": "unknown township"}
    unknown_period = client.get("/api/v1/phaseout/progress?period=1999", headers=transport)
    assert unknown_period.status_code == 404
    bad_cursor = client.get("/api/v1/phaseout/eligible?cursor=abc", headers=transport)
    assert bad_cursor.status_code == 422


def test_access_by_department(client, auth_headers, county):
    env = auth_headers("environment")
    assert _scrap(client, env, county.vehicles["b1"]).status_code == 403
    assert client.get("/api/v1/phaseout/progress", headers=auth_headers("police")).status_code == 403
    assert client.get("/api/v1/phaseout/seen-again", headers=auth_headers("police")).status_code == 200
    assert client.get("/api/v1/phaseout/progress").status_code == 401


def test_township_sees_its_own_township_only(client, auth_headers, county):
    township = auth_headers("township", township="巴公镇")
    eligible = client.get("/api/v1/phaseout/eligible?limit=1000", headers=township).get_json()["results"]
    assert eligible and {v["township_id"] for v in eligible} == {county.bagong}
    assert client.get("/api/v1/phaseout/eligible?township=gaodu", headers=township).status_code == 403
    progress = client.get("/api/v1/phaseout/progress", headers=township).get_json()
    assert [r["township_code"] for r in progress["townships"]] == ["bagong"]
    assert progress["county"] is None


def test_eligible_pages_with_a_cursor_and_shows_inferred(client, auth_headers, county):
    transport = auth_headers("transport")
    seen, cursor = [], None
    while True:
        url = "/api/v1/phaseout/eligible?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=transport).get_json()
        seen += page["results"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len({v["id"] for v in seen}) == 11
    inferred = next(v for v in seen if v["id"] == county.vehicles["inferred"])
    assert inferred["standard_inferred"] is True and inferred["emission_standard"] is None


def test_exports_and_charts(client, auth_headers, county):
    transport = auth_headers("transport")
    client.post("/api/v1/phaseout/quotas", json=QUOTAS, headers=transport)
    _scrap(client, transport, county.vehicles["china3"], day="2019-10-01")
    _scrap(client, transport, county.vehicles["b1"], day="2019-12-02")

    csv = client.get("/api/v1/phaseout/progress.csv?as_of=2019-12-31", headers=transport)
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(csv.data), encoding="utf-8-sig")
    total = frame[frame["乡镇"] == "全县合计"].iloc[0]
    assert (total["已淘汰（辆）"], total["任务数（辆）"]) == (2, 15)

    xlsx = client.get("/api/v1/phaseout/progress.xlsx?as_of=2019-12-31", headers=transport)
    book = filed_report(xlsx.data, title="淘汰进度", sheet="淘汰进度")
    assert book.sheetnames == ["淘汰进度", "说明"]
    assert "统计截至：2019-12-31" in [c.value for c in book["淘汰进度"][2]]
    sheets = pd.read_excel(io.BytesIO(xlsx.data), sheet_name=None, header=2)  # below the title and unit rows
    bagong = sheets["淘汰进度"].set_index("乡镇").loc["巴公镇"]
    assert (bagong["已淘汰（辆）"], bagong["完成率（%）"]) == (2, 20.0)
    assert sheets["淘汰进度"]["乡镇"].iloc[-1] == "全县合计"

    png = client.get("/api/v1/phaseout/progress/chart.png?as_of=2019-12-31", headers=transport)
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    svg = client.get("/api/v1/phaseout/progress/chart.svg?as_of=2019-12-31", headers=transport)
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_seen_again_listing_and_handling(client, auth_headers, county):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.timeutil import SHANGHAI
    from vehicle_enforce.phaseout import sightings

    _scrap(client, auth_headers("transport"), county.vehicles["china3"], day="2019-10-01")
    sightings.check_seen_again(
        [(county.vehicles["china3"], datetime(2019, 11, 5, 9, 0, tzinfo=SHANGHAI), "remote_sensing", "JC-RS-01")],
        actor=SYSTEM,
    )
    transaction.commit()
    police = auth_headers("police")
    listed = client.get("/api/v1/phaseout/seen-again?state=open", headers=police).get_json()["results"]
    assert [(a["plate"], a["action"], a["state"]) for a in listed] == [("晋E10001", "scrapped", "open")]
    handled = client.post(
        f"/api/v1/phaseout/seen-again/{listed[0]['id']}/handle", json={"note": "已处罚"}, headers=police
    )
    assert handled.status_code == 200 and handled.get_json()["handled_by"] == "test-police"
    assert client.get("/api/v1/phaseout/seen-again?state=open", headers=police).get_json()["results"] == []
    assert client.post("/api/v1/phaseout/seen-again/999/handle", json={"note": "x"}, headers=police).status_code == 404


def test_cli_report_writes_the_workbook(runner, county, tmp_path):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.phaseout import actions, quotas

    quotas.set_quotas(QuotasIn(period="2019-2020", quotas=[QuotaItemIn(township="bagong", quota=10)]), actor=SYSTEM)
    actions.record_action(
        ActionIn(
            kind=ActionKind.scrapped,
            action_date=date(2019, 11, 1),
            vehicle_id=county.vehicles["b2"],
            certificate_no="BF-9",
        ),
        actor=SYSTEM,
    )
    transaction.commit()
    out = tmp_path / "report.xlsx"
    result = runner.invoke(["phaseout", "report", "--as-of", "2019-12-31", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1/10" in result.output
    table = pd.read_excel(out, sheet_name="淘汰进度", header=2).set_index("乡镇")
    assert table.loc["巴公镇", "已淘汰（辆）"] == 1
    assert table.loc["巴公镇", "能否按期完成"] == "否"  # 1 done, target 4, no recent rate
    bad = runner.invoke(["phaseout", "report", "--out", str(tmp_path / "report.doc")])
    assert bad.exit_code != 0


@pytest.mark.commits
def test_concurrent_retries_record_one_action(app, backend, county):
    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout import actions
    from vehicle_enforce.phaseout.models import PhaseoutAction

    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            try:
                action, _created = actions.record_action(
                    ActionIn(
                        kind=ActionKind.scrapped,
                        action_date=date(2019, 11, 1),
                        vehicle_id=county.vehicles["b4"],
                        certificate_no="BF-4",
                    ),
                    actor=SYSTEM,
                )
                transaction.commit()
                outcomes.append(action.id)
            except Exception as exc:  # recorded and asserted below
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1
    assert db.session.scalar(select(func.count()).select_from(PhaseoutAction)) == 1
