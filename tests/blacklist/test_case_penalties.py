"""Penalties within their legal basis (the rules' penalty_bases) and the two-year limit (行政处罚法 art. 36)."""

from __future__ import annotations

from datetime import timedelta

from tests.blacklist.conftest import SUMMARY, act, beijing_today, penalize_general


def test_penalties_outside_their_basis_are_refused_with_the_allowed_values(confirmed, client, auth_headers):
    police, env = auth_headers("police"), auth_headers("environment")
    refusals = [
        (police, {"amount_yuan": 99999}, 422, "amount_yuan", "20–200"),
        (police, {"amount_yuan": 10}, 422, "amount_yuan", "20–200"),
        (police, {}, 422, "amount_yuan", "20–200"),
        (
            police,
            {"basis": "rtsl_90", "amount_yuan": 200, "legal_basis": "随便写的依据"},
            422,
            "legal_basis",
            "第九十条",
        ),
        (police, {"basis": "no_such_law", "amount_yuan": 200}, 422, "basis", "rtsl_90"),
        (env, {"basis": "rtsl_90", "amount_yuan": 200}, 403, "basis", "公安交管部门"),
        (police, {"basis": "apl_114_1", "amount_yuan": 5000}, 403, "basis", "生态环境部门"),
        (env, {"basis": "apl_114_1", "amount_yuan": 4000}, 422, "amount_yuan", "5000"),
        (env, {"basis": "apl_114_1", "warning": True}, 422, "warning", "5000"),
        (auth_headers("transport"), {"basis": "apl_121_2", "amount_yuan": 20000}, 403, "basis", "生态环境部门"),
    ]
    for headers, fields, status, field, allowed in refusals:
        r = act(client, headers, confirmed, "penalize", decision_number="晋E交罚001", **fields)
        body = r.get_json()
        assert r.status_code == status, (fields, body)
        assert field in body["error"]["fields"], (fields, body)
        assert allowed in body["error"]["message"] + body["error"]["fields"][field], (fields, body)
    case = client.get(f"/api/v1/cases/{confirmed}", headers=env).get_json()
    assert case["state"] == "confirmed" and case["penalty"]["decision_number"] is None


def test_a_penalty_inside_its_basis_is_accepted_with_the_right_department(confirmed, client, auth_headers):
    r = act(
        client, auth_headers("police"), confirmed, "penalize", decision_number="晋E交罚002", amount_yuan=200, **SUMMARY
    )
    assert r.status_code == 200, r.get_json()
    penalty = r.get_json()["penalty"]
    assert penalty == {
        "decision_number": "晋E交罚002",
        "amount_yuan": 200.0,
        "legal_basis": "《中华人民共和国大气污染防治法》第一百一十三条、《中华人民共和国道路交通安全法》第九十条",
        "basis": "rtsl_90",
        "department": "police",
        "warning": False,
    }
    assert r.get_json()["timeline"][-1]["department"] == "police"


def test_environment_imposes_art_114_and_police_may_warn(vehicle, post_pass, confirmed, client, auth_headers):
    env = auth_headers("environment")
    r = penalize_general(client, env, confirmed, decision_number="晋E环罚003", basis="apl_114_1", amount_yuan=5000)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["penalty"]["department"] == "environment"
    assert "第一百一十四条" in r.get_json()["penalty"]["legal_basis"]
    # A second vehicle: a warning under art. 90 (allowed there), no amount.
    vid = vehicle("晋E22222")
    day = beijing_today() - timedelta(days=5)
    post_pass("晋E22222", f"{day.isoformat()}T10:00:00+08:00")
    post_pass("晋E22222", f"{(day + timedelta(days=1)).isoformat()}T10:00:00+08:00")
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=env).get_json()["results"]
    act(client, env, case["id"], "confirm")
    r = act(
        client, auth_headers("police"), case["id"], "penalize", decision_number="晋E交罚004", warning=True, **SUMMARY
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["penalty"]["warning"] is True and r.get_json()["penalty"]["amount_yuan"] is None


def test_a_county_designates_the_department_and_adds_a_low_emission_zone_rule(confirmed, client, auth_headers):
    env = auth_headers("environment")
    document = {
        "penalty_bases": [
            {"name": "apl_121_2", "departments": ["transport"]},
            {
                "name": "jc_lez",
                "law": "晋城市机动车和非道路移动机械排放污染防治条例",
                "article": "第二十条",
                "offence": "在低排放区内使用不符合要求的机动车",
                "departments": ["police"],
                "applies_to": ["vehicle"],
                "warning": False,
                "min_yuan": 100,
                "max_yuan": 500,
                "local": True,
                "regions": ["140500"],
            },
        ]
    }
    r = client.post(
        "/api/v1/rules/changes",
        json={"effective_from": beijing_today().isoformat(), "document": document, "note": "本县指定"},
        headers=env,
    )
    assert r.status_code == 201, r.get_json()
    bases = {b["name"]: b for b in client.get("/api/v1/penalty-bases", headers=env).get_json()["results"]}
    assert bases["apl_121_2"]["departments"] == ["transport"] and bases["jc_lez"]["local"] is True
    assert bases["rtsl_90"]["allowed"] == "警告或罚款 20–200 元"
    assert "apl_114_1" in bases
    r = act(client, auth_headers("police"), confirmed, "penalize", decision_number="X", basis="jc_lez", amount_yuan=600)
    assert r.status_code == 422 and "100–500" in r.get_json()["error"]["message"]
    r = penalize_general(
        client, auth_headers("transport"), confirmed, decision_number="X", basis="apl_121_2", amount_yuan=20000
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["penalty"]["department"] == "transport"


def test_a_local_rule_without_regions_is_refused(client, auth_headers):
    document = {
        "penalty_bases": [
            {
                "name": "bad",
                "law": "某条例",
                "article": "第一条",
                "offence": "x",
                "departments": ["police"],
                "min_yuan": 1,
                "max_yuan": 2,
                "local": True,
            }
        ]
    }
    r = client.post(
        "/api/v1/rules/changes",
        json={"effective_from": beijing_today().isoformat(), "document": document},
        headers=auth_headers("environment"),
    )
    assert r.status_code == 422 and "regions" in r.get_json()["error"]["message"]


def _roadside_fail(client, auth_headers, station_factory, plate, when):
    station_factory("JC-RD-01", "roadside")
    body = {
        "report_number": f"RD-{when[:10]}",
        "kind": "roadside",
        "method": "ringelmann",
        "tested_at": when,
        "plate": plate,
        "plate_color": "yellow",
        "readings": {"ringelmann": 3},
    }
    r = client.post("/api/v1/roadside-tests", json=body, headers=auth_headers("station", station="JC-RD-01"))
    assert r.status_code == 201, r.get_json()


def test_no_penalty_when_the_earliest_evidence_is_over_two_years_before_the_case(
    vehicle, client, auth_headers, station_factory
):
    env, police = auth_headers("environment"), auth_headers("police")
    old_vid, new_vid = vehicle("晋E30001"), vehicle("晋E30002")
    today = beijing_today()
    too_old = today.replace(year=today.year - 2) - timedelta(days=3)
    in_time = today.replace(year=today.year - 2) + timedelta(days=3)
    _roadside_fail(client, auth_headers, station_factory, "晋E30001", f"{too_old.isoformat()}T10:00:00+08:00")
    _roadside_fail(client, auth_headers, station_factory, "晋E30002", f"{in_time.isoformat()}T10:00:00+08:00")
    cases = {}
    for vid in (old_vid, new_vid):
        [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=env).get_json()["results"]
        assert act(client, env, case["id"], "confirm").status_code == 200
        cases[vid] = case["id"]
    r = act(client, police, cases[old_vid], "penalize", decision_number="D-old", amount_yuan=200, **SUMMARY)
    assert r.status_code == 422, r.get_json()
    assert "第三十六条" in r.get_json()["error"]["message"] and too_old.isoformat() in r.get_json()["error"]["message"]
    r = act(client, police, cases[new_vid], "penalize", decision_number="D-new", amount_yuan=200, **SUMMARY)
    assert r.status_code == 200, r.get_json()
