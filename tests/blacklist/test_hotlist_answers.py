"""The hotlist never answers "nothing to do" when there is something to do (issue 24, section 1).

Through HTTP on both databases: every row of the situation table (one parametrized test), the strictest
action winning, the five situations that used to answer 无需处理 (another colour, an ambiguous read
with a listed candidate, a restriction, a scrapped/deregistered vehicle seen again, a text that is no
plate), what a hit names, and batch reasons.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.blacklist.conftest import NOV, OFFICERS, SUMMARY, pass_body

ROAD_MEASURES = {
    "levels": {
        "blue": {"vehicles": None, "nrmm_max_stage": None},
        "yellow": {"vehicles": None, "nrmm_max_stage": 1},
        "orange": {
            "road_vehicles": {"types": ["heavy_truck"], "fuels": ["diesel"], "max_standard": 3},
            "vehicles": None,
            "nrmm_max_stage": 2,
        },
        "red": {"vehicles": None, "nrmm_max_stage": 2},
    },
    "exempt": {"fuels": ["electric"], "vehicle_types": ["special"], "plate_colors": ["green", "yellow_green"]},
}


def check(client: Any, headers: dict[str, str], plate: str, colour: str | None = "yellow") -> dict[str, Any]:
    query = {"plate": plate, "reason": "G207卡口检查"}
    if colour is not None:
        query["plate_color"] = colour
    r = client.get("/api/v1/hotlist/check", query_string=query, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()  # type: ignore[no-any-return]


@pytest.fixture
def county(vehicle, post_pass, client, auth_headers):
    """Helpers that put a vehicle in each situation through the HTTP API."""
    env, police = auth_headers("environment"), auth_headers("police")
    days = iter(range(1, 21))  # days 1-20 of NOV lie in the past, inside the listing window

    def listed(plate: str, colour: str = "yellow") -> tuple[int, int]:
        vid = vehicle(plate, colour)
        for _ in range(2):
            post_pass(plate, f"{NOV}-{next(days):02d}T10:00:00+08:00", plate_color=colour)
        [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=env).get_json()["results"]
        return vid, case["id"]

    def act(case_id: int, who: dict[str, str], action: str, **body: Any) -> None:
        r = client.post(f"/api/v1/cases/{case_id}/actions", json={"action": action, **body}, headers=who)
        assert r.status_code == 200, r.get_data(as_text=True)

    def alert(level: str, notice_no: str | None = None) -> None:
        now = datetime.now(UTC)
        body = {
            "level": level,
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        }
        if notice_no:
            body["notice_no"] = notice_no
        r = client.post("/api/v1/alerts", json=body, headers=env)
        assert r.status_code == 201, r.get_data(as_text=True)

    return {"listed": listed, "act": act, "alert": alert, "env": env, "police": police}


@pytest.fixture
def road_measures(app, tmp_path: Path) -> None:
    """A county whose orange alert keeps 国三-and-older heavy diesel trucks off the roads."""
    path = tmp_path / "measures.json"
    path.write_text(json.dumps(ROAD_MEASURES), encoding="utf-8")
    app.config["ALERT_MEASURES_FILE"] = str(path)


def _scrapped_on_import(runner: Any, tmp_path: Path, plate: str, status: str = "报废") -> None:
    """Import a registry file whose row says the vehicle is scrapped (no phase-out action ever recorded)."""
    import csv

    source = tmp_path / f"registry-{plate}.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["号牌号码", "号牌颜色", "车辆类型", "燃料种类", "排放标准", "初次登记日期", "所有人", "状态"])
        writer.writerow([plate, "黄色", "重型货车", "柴油", "国三", "2010-05-04", "泽州县某运输公司", status])
    result = runner.invoke(["import", "vehicles", str(source)])
    assert result.exit_code == 0, result.output


# --- every row of the table ---------------------------------------------------------------------


def _case_police_act(county, client, **_):
    _, case_id = county["listed"]("晋E12345")
    county["act"](case_id, county["env"], "confirm", officers=OFFICERS)
    return check(client, county["police"], "晋E12345")


def _road_restriction(county, client, vehicle, request, **_):
    request.getfixturevalue("road_measures")
    vehicle("晋E12345")
    county["alert"]("orange", "泽政办发〔2019〕88号")
    return check(client, county["police"], "晋E12345")


def _seen_again(county, client, runner, tmp_path, **_):
    _scrapped_on_import(runner, tmp_path, "晋E12345")
    return check(client, county["police"], "晋E12345")


def _probable_hit(county, client, **_):
    county["listed"]("晋E12345")
    return check(client, county["police"], "晋E1234S")  # S read for 5


def _colour_differs(county, client, **_):
    county["listed"]("晋E12345", "yellow")
    return check(client, county["police"], "晋E12345", "blue")


def _ambiguous_listed(county, client, vehicle, **_):
    county["listed"]("晋E12345", "yellow")
    vehicle("晋E12345", "blue")
    return check(client, county["police"], "晋E12345", None)  # colour unread: yellow or blue


def _case_repair(county, client, **_):
    _, case_id = county["listed"]("晋E12345")
    county["act"](case_id, county["env"], "confirm", officers=OFFICERS)
    county["act"](case_id, county["police"], "penalize", decision_number="晋E交罚2019-0001", amount_yuan=200, **SUMMARY)
    return check(client, county["police"], "晋E12345")


def _case_detected(county, client, **_):
    county["listed"]("晋E12345")
    return check(client, county["police"], "晋E12345")


def _enterprise_restriction(county, client, vehicle, **_):
    vehicle("晋E12345")
    county["alert"]("red")  # shipped measures: red stops 国四-and-older trucks of enterprises
    return check(client, county["police"], "晋E12345")


def _restriction_without_notice(county, client, vehicle, request, **_):
    request.getfixturevalue("road_measures")
    vehicle("晋E12345")
    county["alert"]("orange")
    return check(client, county["police"], "晋E12345")


def _clear(county, client, vehicle, **_):
    vehicle("晋E12345")
    return check(client, county["police"], "晋E12345")


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "case_police_act": _case_police_act,
    "road_restriction": _road_restriction,
    "seen_again": _seen_again,
    "probable_hit": _probable_hit,
    "colour_differs": _colour_differs,
    "ambiguous_listed": _ambiguous_listed,
    "case_repair": _case_repair,
    "case_detected": _case_detected,
    "enterprise_restriction": _enterprise_restriction,
    "restriction_without_notice": _restriction_without_notice,
    "clear": _clear,
}


def _codes() -> list[str]:
    from vehicle_enforce.blacklist.answers import SITUATIONS

    return [s.code for s in SITUATIONS]


@pytest.mark.parametrize("code", _codes())
def test_every_row_of_the_table_is_what_the_check_answers(
    code, county, client, vehicle, runner, tmp_path, request
) -> None:
    from vehicle_enforce.blacklist.answers import BY_CODE

    row = BY_CODE[code]
    body = SCENARIOS[code](
        county=county, client=client, vehicle=vehicle, runner=runner, tmp_path=tmp_path, request=request
    )
    assert body["situations"] == [code]
    assert (body["action"], body["severity"], body["action_zh"]) == (row.action, row.severity, row.action_zh)
    assert body["status"] == "ok"


def test_the_table_has_a_scenario_per_row_and_keeps_the_four_known_actions() -> None:
    from vehicle_enforce.blacklist import answers

    assert set(SCENARIOS) == {s.code for s in answers.SITUATIONS}
    assert set(answers.ACTION_ORDER) == {s.action for s in answers.SITUATIONS}
    # The four actions clients knew before keep their words and rank: stop > verify > turn back > none.
    before = {
        "stop_and_penalize": "拦截检查，移交处罚",
        "turn_back": "劝返，督促按期维修",
        "verify_plate": "疑似号牌误识别，请核对号牌后处理",
        "none": "无需处理",
    }
    assert {a: answers.ACTION_ZH[a] for a in before} == before
    assert [answers.SEVERITY[a] for a in answers.ACTION_ORDER] == sorted(
        (answers.SEVERITY[a] for a in answers.ACTION_ORDER), reverse=True
    )
    assert answers.SEVERITY["none"] == 0 and answers.SEVERITY["stop_and_penalize"] == 3


@pytest.mark.parametrize(
    ("codes", "action"),
    [
        (["case_detected", "enterprise_restriction"], "record_and_report"),
        (["case_repair", "road_restriction"], "stop_and_penalize"),
        (["seen_again", "case_detected"], "stop_and_check"),
        (["probable_hit", "case_repair"], "verify_plate"),
        (["restriction_without_notice"], "advise_restriction"),
        ([], "none"),
    ],
)
def test_the_strictest_action_wins(codes, action) -> None:
    from vehicle_enforce.blacklist.answers import decide

    decided = decide(codes)
    assert decided.action == action and list(decided.situations) == (codes or ["clear"])


def test_readme_and_openapi_are_generated_from_the_table(client) -> None:
    from tests.conftest import REPO_ROOT
    from vehicle_enforce.blacklist.answers import markdown_table

    assert markdown_table() in (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    spec = client.get("/api/v1/openapi.json").get_json()
    for method in ("get", "post"):
        assert markdown_table() in spec["paths"]["/api/v1/hotlist/check"][method]["description"]


# --- the five situations that used to answer 无需处理 -----------------------------------------------


def test_listed_under_another_colour(county, client, vehicle) -> None:
    county["listed"]("晋E12345", "yellow")
    body = check(client, county["police"], "晋E12345", "blue")
    assert body["colour_differs"] is True and body["action"] == "verify_plate" and body["severity"] == 2
    [other] = body["other_colours_listed"]
    assert (other["plate"], other["plate_color"], other["case_state"]) == ("晋E12345", "yellow", "detected")
    # A vehicle of the read colour matches exactly: its own answer stands, the other colour is named.
    vehicle("晋E12345", "blue")
    body = check(client, county["police"], "晋E12345", "blue")
    assert body["match_decision"] == "exact" and body["action"] == "none" and "colour_differs" not in body
    assert [o["plate_color"] for o in body["other_colours_listed"]] == ["yellow"]


def test_ambiguous_read_names_its_candidates(county, client, vehicle) -> None:
    _, case_id = county["listed"]("晋E12345", "yellow")
    vehicle("晋E12345", "blue")
    body = check(client, county["police"], "晋E12345", "unknown")
    assert body["match_decision"] == "ambiguous" and body["action"] == "verify_plate"
    by_colour = {c["plate_color"]: c for c in body["candidates"]}
    assert by_colour["yellow"] == {**by_colour["yellow"], "listed": True, "case_state": "detected", "case_id": case_id}
    assert by_colour["blue"] == {**by_colour["blue"], "listed": False, "case_state": None}
    # In a batch too: the entries of an ambiguous read's candidates are read.
    r = client.post(
        "/api/v1/hotlist/check",
        json={"reads": [{"plate": "晋E12345"}, {"plate": "晋E99999", "plate_color": "yellow"}], "checkpoint": "K1"},
        headers=county["police"],
    )
    first = r.get_json()["results"][0]
    assert first["action"] == "verify_plate" and [c["listed"] for c in first["candidates"]] == [
        by_colour[c["plate_color"]]["listed"] for c in first["candidates"]
    ]


def test_restrictions_penalise_only_on_a_road_restriction_with_its_notice(
    county, client, vehicle, road_measures
) -> None:
    vehicle("晋E12345")
    county["alert"]("orange", "泽政办发〔2019〕88号")
    body = check(client, county["police"], "晋E12345")
    restriction = body["restriction"]
    assert restriction["road_restriction"] is True and restriction["notice_no"] == "泽政办发〔2019〕88号"
    assert "禁止上路" in restriction["description_zh"] and body["action"] == "stop_and_penalize"


def test_an_enterprise_measure_is_advice(county, client, vehicle) -> None:
    vehicle("晋E12345")
    county["alert"]("red", "泽政办发〔2019〕89号")
    body = check(client, county["police"], "晋E12345")
    assert body["restriction"]["road_restriction"] is False and body["action"] == "advise_restriction"
    assert body["severity"] == 1 and body["action_zh"] != "无需处理"


@pytest.mark.parametrize(("status", "registry_status"), [("报废", "scrapped"), ("注销", "deregistered")])
def test_a_vehicle_imported_as_scrapped_is_seen_again_everywhere(
    status, registry_status, client, auth_headers, runner, tmp_path, post_pass, post_test
) -> None:
    from vehicle_enforce.extensions import db
    from vehicle_enforce.phaseout.models import SeenAgainAlert
    from vehicle_enforce.vehicles.models import Owner, Vehicle

    _scrapped_on_import(runner, tmp_path, "晋E12345", status)
    vid = db.session.scalar(select(Vehicle.id).where(Vehicle.plate == "晋E12345"))
    police, env = auth_headers("police"), auth_headers("environment")
    # Not to be phased out: not among the eligible, and no action can be recorded for it.
    eligible = client.get("/api/v1/phaseout/eligible", headers=env).get_json()["results"]
    assert vid not in [v["id"] for v in eligible]
    r = client.post(
        "/api/v1/phaseout/actions",
        json={"kind": "scrapped", "action_date": f"{NOV}-05", "vehicle_id": vid, "certificate_no": "BF-1"},
        headers=auth_headers("transport"),
    )
    assert r.status_code == 409, r.get_data(as_text=True)
    # A pass, a roadside test, a gate record and a checkpoint check each raise the seen-again alert.
    post_pass("晋E12345", f"{NOV}-10T10:00:00+08:00", exceed=False)
    post_test("晋E12345", f"{NOV}-11T10:00:00+08:00", passed=True)
    owner = Owner(kind="enterprise", name="泽州县某焦化厂")
    db.session.add(owner)
    db.session.commit()
    gate = {"plate": "晋E12345", "direction": "in", "at": f"{NOV}-12T09:00:00+08:00"}
    r = client.post("/api/v1/alerts/gate-records", json={"owner_id": owner.id, "records": [gate]}, headers=env)
    assert r.status_code == 201, r.get_data(as_text=True)  # stored now (a retry answers 200)
    body = check(client, police, "晋E12345")
    assert (body["action"], body["severity"]) == ("stop_and_check", 3) and body["hit"] is None
    assert body["vehicle"]["status"] == registry_status
    db.session.expire_all()
    alerts = db.session.scalars(select(SeenAgainAlert).where(SeenAgainAlert.vehicle_id == vid)).all()
    assert sorted(a.source for a in alerts) == ["checkpoint", "gate", "remote_sensing", "roadside"]
    assert {(a.action_id, a.registry_status) for a in alerts} == {(None, registry_status)}
    listed = client.get("/api/v1/phaseout/seen-again", headers=env)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    assert {a["registry_status"] for a in listed.get_json()["results"]} == {registry_status}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("无车牌", "未识别"),
        ("晋E1234", "长度"),
        ("晋E12$45", "第5位"),
        ("X E12345", "省份"),
        ("晋112345", "发牌机关"),
    ],
)
def test_a_text_that_cannot_be_a_plate_is_refused(text, named, client, auth_headers) -> None:
    police = auth_headers("police")
    r = client.get(
        "/api/v1/hotlist/check", query_string={"plate": text, "plate_color": "yellow", "reason": "x"}, headers=police
    )
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert named in error["message"] and named in error["fields"]["plate"]
    r = client.post(
        "/api/v1/hotlist/check",
        json={"reads": [{"plate": "晋E99999", "plate_color": "yellow"}, {"plate": text}], "reason": "卡口比对"},
        headers=police,
    )
    assert r.status_code == 200
    ok, bad = r.get_json()["results"]
    assert (ok["index"], ok["status"], ok["action"]) == (0, "ok", "none")
    assert (bad["index"], bad["status"], bad["error"]["field"], bad["error"]["code"]) == (
        1,
        "invalid",
        "reads.1.plate",
        "not_a_plate",
    )
    assert named in bad["error"]["message"] and "action" not in bad


# --- what a hit names, and batch reasons ----------------------------------------------------------


def test_a_hit_names_vehicle_case_and_evidence_with_photos(vehicle, client, auth_headers, station_factory, photo):
    import base64

    content, _, _ = photo
    station_factory("JC-RS-01", "remote_sensing")
    vid = vehicle("晋E12345")
    for day in (f"{NOV}-01", f"{NOV}-02"):
        body = pass_body("晋E12345", f"{day}T10:00:00+08:00")
        body["photos"] = [{"name": "plate.jpg", "content_base64": base64.b64encode(content).decode()}]
        r = client.post("/api/v1/remote-sensing/passes", json=body, headers=auth_headers("station", station="JC-RS-01"))
        assert r.status_code in (200, 201), r.get_data(as_text=True)
    body = check(client, auth_headers("police"), "晋E12345")
    assert body["vehicle"] == {
        **body["vehicle"],
        "id": vid,
        "vehicle_type": "heavy_truck",
        "emission_standard": 3,
        "owner_name": "车主晋E12345",
    }
    assert body["case"]["url"] == f"/ops/cases/{body['case']['id']}"
    first = body["evidence"][0]
    assert first["station"] == "JC-RS-01" and first["measured_at"].startswith(f"{NOV}-01")
    assert first["exceeded"] and "不透光度" in first["text"]
    [url] = first["photos"]
    assert client.get(url, headers=auth_headers("police")).data == content


def test_a_batch_needs_a_reason_or_its_checkpoint_and_is_recorded(client, auth_headers, vehicle) -> None:
    from vehicle_enforce.blacklist.models import HotlistLookup
    from vehicle_enforce.extensions import db

    police = auth_headers("police")
    reads = [{"plate": "晋E12345", "plate_color": "yellow"}]
    r = client.post("/api/v1/hotlist/check", json={"reads": reads}, headers=police)
    assert r.status_code == 422 and "reason" in r.get_json()["error"]["fields"]
    r = client.post("/api/v1/hotlist/check", json={"reads": reads, "reason": "  "}, headers=police)
    assert r.status_code == 422
    assert (
        client.post("/api/v1/hotlist/check", json={"reads": reads, "checkpoint": "G207-01"}, headers=police).status_code
        == 200
    )
    assert (
        client.post("/api/v1/hotlist/check", json={"reads": reads, "reason": "布控比对"}, headers=police).status_code
        == 200
    )
    reasons = db.session.scalars(select(HotlistLookup.reason).order_by(HotlistLookup.id)).all()
    assert reasons == ["卡口抓拍比对（卡口 G207-01）", "布控比对"]
