"""Numbered PDF notices (#30): each kind renders with its number, plate, legal basis and values in embedded
CJK fonts; reprints serve the stored bytes; a void notice keeps its number; the public check answers."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from tests.blacklist.conftest import NOV, SUMMARY, act, beijing_today
from tests.documents.conftest import assert_printable, screenshot
from vehicle_enforce.inspections import examples as ex

pytestmark = pytest.mark.usefixtures("poppler")

YEAR = beijing_today().year


def _turn_back_test(client: Any, auth_headers: Any, station_factory: Any, report: str = "ZZLJ-1", **over: Any) -> int:
    station_factory("JC-RD-01", "roadside")
    body = {**ex.ROADSIDE_TEST_IN, "report_number": report, **over}
    r = client.post("/api/v1/roadside-tests", json=body, headers=auth_headers("station", station="JC-RD-01"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["turn_back"] is True
    return int(r.get_json()["id"])


def _audited(action: str) -> list[Any]:
    from sqlalchemy import select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_turn_back_notice_prints_number_plate_basis_and_values_and_reprints_the_same_bytes(
    client, auth_headers, station_factory, tmp_path
):
    test_id = _turn_back_test(client, auth_headers, station_factory)
    station = auth_headers("station", station="JC-RD-01")
    r = client.get(f"/api/v1/roadside-tests/{test_id}/notice.pdf", headers=station)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/pdf"
    first = r.get_data()
    number = f"泽环劝〔{YEAR}〕1号"
    text = assert_printable(
        first,
        tmp_path,
        "劝返通知书",
        number,
        "晋E12345",
        "《中华人民共和国道路交通安全法》第九十条",  # the legal basis, from the penalty-basis data
        "泽州县公安局交通警察大队",  # who imposes it
        "1.41",  # the measured value
        "0.7",  # against the limit
        "2026-11-20 10:15",  # Beijing time, minutes
        "GB 3847-2018 限值b",
        "驾驶人签收",
    )
    code = re.search(r"/verify/([A-Z2-9]{12})", text)
    assert code, text
    screenshot(first, "turn_back", tmp_path)
    # A reprint: the same bytes, audited; environment and police print the same notice.
    for headers in (station, auth_headers("environment"), auth_headers("police")):
        again = client.get(f"/api/v1/roadside-tests/{test_id}/notice.pdf", headers=headers)
        assert again.status_code == 200 and again.get_data() == first
    assert len(_audited("notice.issue")) == 1 and len(_audited("notice.reprint")) == 3
    # The public check: genuine, with the plate and the number.
    page = client.get(f"/verify/{code.group(1)}")
    assert page.status_code == 200
    assert "真实有效" in page.get_data(as_text=True) and number in page.get_data(as_text=True)


def test_turn_back_notice_carries_the_roadside_photo(app, client, auth_headers, station_factory, photo, tmp_path):
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import system
    from vehicle_enforce.inspections import evidence, roadside
    from vehicle_enforce.inspections.schemas import RoadsideTestIn

    content, plate, _colour = photo
    station_factory("JC-RD-01", "roadside")
    body = {**ex.ROADSIDE_TEST_IN, "report_number": "ZZLJ-PHOTO", "plate": plate}
    data = RoadsideTestIn.model_validate_json(json.dumps(body))
    test, _ = roadside.record_test(data, actor=system("test"), photos=[evidence.Upload("plate.jpg", content)])
    transaction.commit()
    r = client.get(f"/api/v1/roadside-tests/{test.id}/notice.pdf", headers=auth_headers("environment"))
    assert r.status_code == 200
    assert_printable(r.get_data(), tmp_path, plate, "现场照片")
    screenshot(r.get_data(), "turn_back_photo", tmp_path)


def test_turn_back_refusals_other_station_and_a_passing_test(client, auth_headers, station_factory):
    test_id = _turn_back_test(client, auth_headers, station_factory)
    station_factory("JC-RD-02", "roadside")
    other = auth_headers("station", station="JC-RD-02")
    assert client.get(f"/api/v1/roadside-tests/{test_id}/notice.pdf", headers=other).status_code == 404
    assert (
        client.get(f"/api/v1/roadside-tests/{test_id}/notice.pdf", headers=auth_headers("transport")).status_code == 403
    )
    passed = {**ex.ROADSIDE_TEST_IN, "report_number": "ZZLJ-OK", "readings": {"k_readings": [0.3, 0.3, 0.3, 0.3]}}
    r = client.post("/api/v1/roadside-tests", json=passed, headers=auth_headers("station", station="JC-RD-01"))
    ok_id = r.get_json()["id"]
    refused = client.get(f"/api/v1/roadside-tests/{ok_id}/notice.pdf", headers=auth_headers("environment"))
    assert refused.status_code == 409 and "劝返" in refused.get_json()["error"]["message"]


@pytest.mark.sqlite  # the sequence's upsert and UPDATE ... RETURNING on the embedded default too
def test_void_keeps_the_number_and_the_next_print_takes_a_new_one(client, auth_headers, station_factory, tmp_path):
    test_id = _turn_back_test(client, auth_headers, station_factory)
    env = auth_headers("environment")
    first = client.get(f"/api/v1/roadside-tests/{test_id}/notice.pdf", headers=env)
    notice_id = int(first.headers["X-Notice-Id"])
    code = re.search(r"/verify/([A-Z2-9]{12})", assert_printable(first.get_data(), tmp_path)).group(1)
    # Only the issuing unit voids, with a reason.
    refused = client.post(
        f"/api/v1/notices/{notice_id}/void", json={"reason": "号牌录错"}, headers=auth_headers("police")
    )
    assert refused.status_code == 403
    assert client.post(f"/api/v1/notices/{notice_id}/void", json={}, headers=env).status_code == 422
    r = client.post(f"/api/v1/notices/{notice_id}/void", json={"reason": "号牌录错，重新出具"}, headers=env)
    assert r.status_code == 200, r.get_json()
    voided = r.get_json()
    assert voided["state"] == "void" and voided["number"] == f"泽环劝〔{YEAR}〕1号"
    assert voided["void_reason"] == "号牌录错，重新出具"
    assert client.post(f"/api/v1/notices/{notice_id}/void", json={"reason": "再次"}, headers=env).status_code == 409
    assert [e.changes["reason"] for e in _audited("notice.void")] == ["号牌录错，重新出具"]
    # The void notice is still served exactly as issued, and the check page says it is void.
    stored = client.get(f"/api/v1/notices/{notice_id}.pdf", headers=env)
    assert stored.get_data() == first.get_data() and stored.headers["X-Notice-State"] == "void"
    page = client.get(f"/verify/{code.lower()}")
    assert page.status_code == 200 and "已作废" in page.get_data(as_text=True)
    assert "号牌录错" not in page.get_data(as_text=True)  # the check page shows the state, not staff notes
    # Printing again issues the next number; number 1 stays the void one's.
    second = client.get(f"/api/v1/roadside-tests/{test_id}/notice.pdf", headers=env)
    assert second.status_code == 200 and int(second.headers["X-Notice-Id"]) != notice_id
    assert_printable(second.get_data(), tmp_path, f"泽环劝〔{YEAR}〕2号")


def test_verify_answers_unknown_for_a_code_never_issued(client):
    for code in ("ABCDEFGHJKLM", "short", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"):
        page = client.get(f"/verify/{code}")
        assert page.status_code == 404
        assert "未找到该核验码" in page.get_data(as_text=True)


@pytest.fixture
def listed(vehicle, post_pass, client, auth_headers):
    vid = vehicle()
    post_pass("晋E12345", f"{NOV}-01T10:00:00+08:00")
    post_pass("晋E12345", f"{NOV}-02T10:00:00+08:00")
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=auth_headers("environment")).get_json()["results"]
    return int(case["id"])


def test_case_notices_penalty_sheet_repair_order_and_release(
    listed, client, auth_headers, post_repair, post_test, tmp_path
):
    case_id = listed
    env, police, transport = auth_headers("environment"), auth_headers("police"), auth_headers("transport")
    url = f"/api/v1/cases/{case_id}/notices"
    assert client.get(f"{url}/penalty_sheet.pdf", headers=police).status_code == 409  # evidence not confirmed
    assert client.get(f"{url}/nonsense.pdf", headers=police).status_code == 404
    act(client, env, case_id, "confirm")
    sheet = client.get(f"{url}/penalty_sheet.pdf", headers=police)
    assert sheet.status_code == 200
    first_text = assert_printable(
        sheet.get_data(), tmp_path, f"泽环罚〔{YEAR}〕1号", "晋E12345", "第九十条", "尚未作出", "罚款 20–200 元"
    )
    first_code = re.search(r"/verify/([A-Z2-9]{12})", first_text).group(1)
    # The penalty decided: the sheet's facts changed, so the next print supersedes it with a new number.
    act(client, police, case_id, "penalize", decision_number="泽公交罚〔2026〕77号", amount_yuan=200, **SUMMARY)
    sheet2 = client.get(f"{url}/penalty_sheet.pdf", headers=police)
    assert_printable(sheet2.get_data(), tmp_path, f"泽环罚〔{YEAR}〕2号", "泽公交罚〔2026〕77号", "罚款 200 元")
    screenshot(sheet2.get_data(), "penalty_sheet", tmp_path)
    superseded = client.get(f"/verify/{first_code}").get_data(as_text=True)
    assert "已被新文书替代" in superseded and f"泽环罚〔{YEAR}〕2号" in superseded
    assert client.get(f"{url}/repair_order.pdf", headers=transport).status_code == 409  # not ordered yet
    due = (beijing_today() + timedelta(days=15)).isoformat()
    act(client, transport, case_id, "order_repair", due_date=due)
    order = client.get(f"{url}/repair_order.pdf", headers=transport)
    assert order.status_code == 200
    assert_printable(order.get_data(), tmp_path, f"泽交修〔{YEAR}〕1号", "晋E12345", due, "JC-M-01", "第九十条")
    screenshot(order.get_data(), "repair_order", tmp_path)
    post_repair("晋E12345", f"{NOV}-15T10:00:00+08:00", number="M-77")
    post_test("晋E12345", f"{NOV}-16T10:00:00+08:00", passed=True, kind="inspection")
    release = client.get(f"{url}/release.pdf", headers=env)
    assert release.status_code == 200, release.get_data(as_text=True)
    assert_printable(release.get_data(), tmp_path, f"泽环解〔{YEAR}〕1号", "晋E12345", "复检合格", "第九十条")
    screenshot(release.get_data(), "release", tmp_path)
    # The case's timeline lists every notice with its state: the first sheet superseded by the second.
    detail = client.get(f"/api/v1/cases/{case_id}", headers=env).get_json()
    listed_notices = [(n["kind"], n["number"], n["state"]) for n in detail["notices"]]
    assert listed_notices == [
        ("penalty_sheet", f"泽环罚〔{YEAR}〕1号", "superseded"),
        ("penalty_sheet", f"泽环罚〔{YEAR}〕2号", "issued"),
        ("repair_order", f"泽交修〔{YEAR}〕1号", "issued"),
        ("release", f"泽环解〔{YEAR}〕1号", "issued"),
    ]
    assert detail["notices"][0]["superseded_by_id"] == detail["notices"][1]["id"]
    page = client.get(f"/ops/cases/{case_id}")  # no session: the page itself is tested in tests/web
    assert page.status_code in (302, 401)


def test_spot_check_record_sheet(client, auth_headers, tmp_path):
    env = auth_headers("environment")
    site = client.post(
        "/api/v1/nrmm/sites", json={"name": "巴公镇某工地", "kind": "construction", "township_id": 9}, headers=env
    ).get_json()["id"]
    machine = client.post(
        "/api/v1/nrmm/machines",
        json={
            "pin": "CAT0320GKZF12345",
            "machine_type": "excavator",
            "emission_stage": 3,
            "rated_power_kw": 75.0,
            "site_id": site,
            "registered_on": "2019-10-01",
        },
        headers=env,
    ).get_json()["id"]
    check = client.post(
        "/api/v1/nrmm/spot-checks",
        json={
            "machine_id": machine,
            "checked_at": "2019-11-05T14:03:00+08:00",
            "k_readings": [1.92, 1.88, 1.95],
            "ringelmann": 1,
            "enforcement": True,
            "officers": [
                {"name": "李执法", "certificate_no": "14050101"},
                {"name": "王执法", "certificate_no": "14050102"},
            ],
        },
        headers=env,
    )
    assert check.status_code == 201, check.get_json()
    check_id = check.get_json()["id"]
    r = client.get(f"/api/v1/nrmm/spot-checks/{check_id}/record.pdf", headers=env)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert_printable(
        r.get_data(),
        tmp_path,
        f"泽环测〔{YEAR}〕1号",
        "CAT0320GKZF12345",
        "2019-11-05 14:03",
        "1.92",
        "1.88",
        "1.95",
        "第一百一十四条第一款",
        "机械使用人（操作人员）签字",
        "李执法",
    )
    screenshot(r.get_data(), "spot_check_record", tmp_path)
    # Another township does not see the check, so not its record either.
    other = auth_headers("township", township="南村镇")
    assert client.get(f"/api/v1/nrmm/spot-checks/{check_id}/record.pdf", headers=other).status_code == 404


def test_each_county_numbers_its_own_notices_and_the_city_level_its_own(
    client, auth_headers, station_factory, tmp_path
):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.schemas import CountyIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    services.create_county(CountyIn(code="140581", name="高平市"), actor=SYSTEM)
    transaction.commit()
    station_factory("GP-RD-01", "roadside", county="140581", name="高平市柴油货车联合执法站")
    station_factory("CITY-RD-01", "roadside", name="晋城市流动检测组")  # no county: the city level
    env = auth_headers("environment")
    expected = {
        "JC-RD-01": (f"泽环劝〔{YEAR}〕1号", "晋城市生态环境局泽州分局"),
        "GP-RD-01": (f"高环劝〔{YEAR}〕1号", "晋城市生态环境局高平分局"),
        "CITY-RD-01": (f"晋环劝〔{YEAR}〕1号", "晋城市生态环境局"),
    }
    for station, (number, unit) in expected.items():
        body = {**ex.ROADSIDE_TEST_IN, "station": station, "report_number": f"R-{station}"}
        r = client.post("/api/v1/roadside-tests", json=body, headers=auth_headers("station", station=station))
        assert r.status_code == 201, r.get_json()
        pdf = client.get(f"/api/v1/roadside-tests/{r.get_json()['id']}/notice.pdf", headers=env)
        assert pdf.status_code == 200
        assert_printable(pdf.get_data(), tmp_path, number, unit)


def test_number_template_per_unit_and_kind(app):
    from vehicle_enforce.auth.models import County
    from vehicle_enforce.documents import numbering

    assert numbering.format_number(numbering.DEFAULT_TEMPLATE, abbr="泽环", kind="turn_back", year=2019, seq=1) == (
        "泽环劝〔2019〕1号"
    )
    zezhou = County(code="140525", name="泽州县")
    assert numbering.unit("140525:police", zezhou) == {"name": "泽州县公安局交通警察大队", "abbr": "泽公交"}
    assert numbering.unit("transport") == {"name": "晋城市交通运输局", "abbr": "晋交"}
    app.config["DOCUMENT_NUMBER_TEMPLATES"] = {
        "140525:transport": {"repair_order": "晋泽交责〔{year}〕第{seq}号"},
        "environment": {"turn_back": "{abbr}劝字〔{year}〕{seq}号"},
    }
    app.config["DOCUMENT_UNITS"] = {"140525:transport": {"abbr": "泽交运"}}
    assert numbering.template("140525:transport", "repair_order") == "晋泽交责〔{year}〕第{seq}号"
    assert numbering.template("140525:environment", "turn_back") == "{abbr}劝字〔{year}〕{seq}号"  # the department's
    assert numbering.template("140525:environment", "release") == numbering.DEFAULT_TEMPLATE
    assert numbering.unit("140525:transport", zezhou) == {"name": "泽州县交通运输局", "abbr": "泽交运"}
    for bad in ("泽环劝〔{year}〕号", "{abbr}{seq}{owner}"):
        with pytest.raises(ValueError):
            numbering.check_template(bad)


def _page_user(app: Any, department: str, **extra: Any) -> Any:
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    name = f"notice-{department}"
    services.create_user(
        UserIn(username=name, password="page-pass-1", department=Department(department), **extra), actor=SYSTEM
    )
    transaction.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": name, "password": "page-pass-1"}).status_code == 302
    return client


def test_pages_print_through_a_form_and_the_api_refuses_the_page_session(
    app, client, auth_headers, station_factory, listed, tmp_path
):
    test_id = _turn_back_test(client, auth_headers, station_factory)
    station = _page_user(app, "station", station="JC-RD-01")
    # A page session may not print through the API (printing writes): the page's own form does.
    assert station.get(f"/api/v1/roadside-tests/{test_id}/notice.pdf").status_code == 401
    assert station.post(f"/ops/notices/roadside-tests/{test_id}", csrf=False).status_code == 400
    r = station.post(f"/ops/notices/roadside-tests/{test_id}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert_printable(r.get_data(), tmp_path, f"泽环劝〔{YEAR}〕1号")
    # The case page lists the notices and offers the print buttons that apply now.
    env = _page_user(app, "environment")
    act(client, auth_headers("environment"), listed, "confirm")
    page = env.get(f"/ops/cases/{listed}").get_data(as_text=True)
    assert "打印处罚参考单" in page and "打印解除管控通知书" not in page and "尚未打印通知书" in page
    printed = env.post(f"/ops/notices/cases/{listed}/penalty_sheet")
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    page = env.get(f"/ops/cases/{listed}").get_data(as_text=True)
    assert f"泽环罚〔{YEAR}〕1号" in page and "有效" in page
    # A refusal redraws the case page with the reason, in Chinese.
    refused = env.post(f"/ops/notices/cases/{listed}/release")
    assert refused.status_code == 409
    assert "通知书未打印" in refused.get_data(as_text=True) and "复检合格" in refused.get_data(as_text=True)


def test_the_public_check_is_rate_limited_per_address_in_chinese(app, client):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    browser = {"Accept": "text/html"}
    answers = [client.get(f"/verify/ABCDEFGHJK{n}Z", headers=browser) for n in range(2, 6)]
    assert [r.status_code for r in answers] == [404, 404, 404, 429]
    assert "核验过于频繁" in answers[-1].get_data(as_text=True)
