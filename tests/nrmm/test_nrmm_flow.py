"""NRMM: codes and PINs, overdue registrations, sampling share and seed, GB 36886 judging, violations."""

from __future__ import annotations

import pytest

M = {"machine_type": "excavator", "emission_stage": 2, "fuel": "diesel", "rated_power_kw": 75.0}


@pytest.fixture
def env(auth_headers):
    return auth_headers("environment")


def add_site(client, env, name="巴公镇某工地", **kw):
    r = client.post(
        "/api/v1/nrmm/sites", json={"name": name, "kind": "construction", "township_id": 9, **kw}, headers=env
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()["id"]


def add_machine(client, env, pin, **kw):
    return client.post("/api/v1/nrmm/machines", json={**M, "pin": pin, **kw}, headers=env)


def test_codes_and_pins_are_unique(client, env):
    first = add_machine(client, env, "PIN0001")
    assert first.status_code == 201 and first.get_json()["env_code"].startswith("140500-NR-")
    assert add_machine(client, env, "PIN0001").status_code == 409
    r = add_machine(client, env, "PIN0002", env_code=first.get_json()["env_code"])
    assert r.status_code == 409 and "env_code" in r.get_json()["error"]["fields"]
    assert add_machine(client, env, "PIN0003", emission_stage=None).status_code == 422
    assert add_machine(client, env, "PIN0004", emission_stage=None, fuel="electric").status_code == 201


def test_overdue_registrations(client, env):
    add_machine(client, env, "PIN-LATE", acquired_on="2019-09-01", registered_on="2019-10-02")  # 31 days
    add_machine(client, env, "PIN-OK", acquired_on="2019-09-01", registered_on="2019-10-01")  # 30 days
    rows = client.get("/api/v1/nrmm/machines?overdue=true", headers=env).get_json()["results"]
    assert [r["pin"] for r in rows] == ["PIN-LATE"]


def test_sampling_share_spread_and_reproducible(client, env, app):
    sites = [add_site(client, env, f"工地{i}", township_id=1 + i % 3) for i in range(6)]
    for i in range(120):
        add_machine(client, env, f"P{i:05d}", site_id=sites[i % 6], registered_on="2019-10-01")
    r = client.post("/api/v1/nrmm/sampling-plans", json={"month": "2019-11", "seed": 42}, headers=env)
    plan = r.get_json()
    assert r.status_code == 201 and plan["size"] >= 12 and plan["population"] == 120
    from vehicle_enforce.nrmm import services

    machine_sites = {m: sites[(m - 1) % 6] for m in range(1, 121)}
    assert {machine_sites[i["machine_id"]] for i in plan["items"]} == set(sites)  # every site with machines
    assert client.post("/api/v1/nrmm/sampling-plans", json={"month": "2019-11"}, headers=env).status_code == 409
    rows = [(m, machine_sites[m], 1 + (sites.index(machine_sites[m]) % 3)) for m in range(1, 121)]
    assert services.sample(rows, 0.1, 42) == services.sample(rows, 0.1, 42)
    assert services.sample(rows, 0.1, 42) != services.sample(rows, 0.1, 43)
    assert len(services.sample(rows, 0.1, 7)) >= 12
    r = client.post("/api/v1/nrmm/sampling-plans", json={"month": "2019-12", "share": 0.05}, headers=env)
    assert r.status_code == 422  # below the plan's 10%


@pytest.mark.parametrize(
    ("stage", "power", "k", "verdict"),
    [
        (1, 18.9, 3.00, "pass"),
        (1, 18.9, 3.01, "exceed"),  # class I, P < 19: 3.00
        (1, 19.0, 2.00, "pass"),
        (1, 19.0, 2.01, "exceed"),  # class I, 19 ≤ P < 37: 2.00
        (1, 37.0, 1.61, "pass"),
        (1, 37.0, 1.62, "exceed"),  # class I, P ≥ 37: 1.61
        (2, 18.0, 2.00, "pass"),
        (2, 18.0, 2.01, "exceed"),  # class II
        (2, 36.9, 1.00, "pass"),
        (2, 36.9, 1.01, "exceed"),
        (3, 75.0, 0.80, "pass"),
        (3, 75.0, 0.81, "exceed"),
    ],
)
def test_gb36886_classes_and_power_bands(client, env, stage, power, k, verdict):
    mid = add_machine(client, env, f"B{stage}{power}{k}", emission_stage=stage, rated_power_kw=power).get_json()["id"]
    r = client.post(
        "/api/v1/nrmm/spot-checks",
        json={"machine_id": mid, "checked_at": "2019-11-05T10:00:00+08:00", "k_readings": [k, k, k], "ringelmann": 0},
        headers=env,
    )
    body = r.get_json()
    assert r.status_code == 201 and body["verdict"] == verdict
    assert (body["violations"] == ["exceeding"]) is (verdict == "exceed")


def test_each_violation_kind_with_penalty(client, env):
    zone = add_site(client, env, "低排放区工地", low_emission_zone=True, zone_min_stage=3, zone_class="III")
    old = add_machine(client, env, "OLD-1", emission_stage=2, rated_power_kw=75.0, site_id=zone).get_json()["id"]
    when = "2019-11-05T10:00:00+08:00"
    # Inside the zone class III applies (P ≥ 37: 0.50) and 国二 is below the zone minimum.
    body = client.post(
        "/api/v1/nrmm/spot-checks",
        json={"machine_id": old, "checked_at": when, "k_readings": [0.6, 0.6, 0.6], "ringelmann": 2},
        headers=env,
    ).get_json()
    assert set(body["violations"]) == {"exceeding", "black_smoke", "below_zone_stage"}
    # The spot check suggests the basis (art. 114, fixed 5,000 yuan); it imposes nothing itself.
    assert body["penalty_yuan"] == 5000.0 and "第一百一十四条" in body["legal_basis"]
    assert body["penalty_suggested"] is True
    body = client.post(
        "/api/v1/nrmm/spot-checks",
        json={
            "pin": "NOT-REGISTERED",
            "site_id": zone,
            "checked_at": when,
            "k_readings": [0.3, 0.3, 0.3],
            "rated_power_kw": 50,
            "emission_stage": 4,
        },
        headers=env,
    ).get_json()
    assert body["violations"] == ["unregistered"]
    # No national penalty basis covers a missing registration: nothing is suggested (never a made-up fine).
    assert body["penalty_yuan"] is None and body["legal_basis"] is None and body["penalty_suggested"] is False
    clean = add_machine(client, env, "NEW-1", emission_stage=4, site_id=zone).get_json()["id"]
    body = client.post(
        "/api/v1/nrmm/spot-checks",
        json={"machine_id": clean, "checked_at": when, "k_readings": [0.3, 0.3, 0.3], "ringelmann": 0},
        headers=env,
    ).get_json()
    assert body["violations"] == [] and body["penalty_yuan"] is None


def test_access_and_export(client, auth_headers, env):
    add_machine(client, env, "EXP-1")
    assert client.get("/api/v1/nrmm/machines", headers=auth_headers("police")).status_code == 403
    assert client.get("/api/v1/nrmm/machines", headers=auth_headers("housing")).status_code == 200
    assert client.get("/api/v1/nrmm/machines", headers=auth_headers("township")).get_json()["results"] == []
    exported = client.get("/api/v1/nrmm/machines/export?format=json", headers=env).get_json()["records"]
    assert exported[0]["pin"] == "EXP-1" and exported[0]["emission_stage_name"] == "国二"
    xlsx = client.get("/api/v1/nrmm/machines/export?format=xlsx", headers=env)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    refused = client.get("/api/v1/nrmm/machines/export?format=pdf", headers=env)
    assert refused.status_code == 422 and "format" in refused.get_json()["error"]["fields"]
    spec = client.get("/api/v1/openapi.json").get_json()
    [param] = spec["paths"]["/api/v1/nrmm/machines/export"]["get"]["parameters"]
    assert param["name"] == "format" and param["in"] == "query"


def test_survey_workbook_reads_numbers_and_a_refused_row_leaves_the_others(runner, client, env, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["环保登记编码", "PIN", "机械类型", "排放阶段", "额定功率"])
    sheet.append(["E-001", "WB1", "挖掘机", "国三", 75.5])
    sheet.append(["E-001", "WB2", "装载机", "国三", 55])  # the registration code is taken by the row above
    sheet.append(["E-003", 1003, "叉车", "国四", 30.0])
    source = tmp_path / "survey.xlsx"
    book.save(source)
    result = runner.invoke(["import", "nrmm", str(source), "--errors-out", str(tmp_path / "err.csv")])
    assert result.exit_code == 0 and "created 2" in result.output and "rejected 1" in result.output, result.output
    assert "3,env_code" in (tmp_path / "err.csv").read_text(encoding="utf-8-sig")
    machines = client.get("/api/v1/nrmm/machines", headers=env).get_json()["results"]
    assert sorted((m["pin"], m["env_code"], m["rated_power_kw"]) for m in machines) == [
        ("1003", "E-003", 30.0),
        ("WB1", "E-001", 75.5),
    ]


def test_survey_import_upserts_by_pin_and_reports_bad_rows(runner, client, env, tmp_path):
    add_site(client, env, "巴公镇某工地")
    header = "PIN,机械类型,品牌,排放阶段,额定功率,所在工地,购置日期,登记日期\n"
    rows = [
        "LX1001,挖掘机,三一,国三,75,巴公镇某工地,2019-08-01,2019-08-20",
        "LX1002,装载机,柳工,国五,55,,2019-08-01,2019-08-20",  # no such stage
        "LX1003,叉车,合力,电动,15,,,",
        "LX1004,压路机,徐工,国二,abc,,,",  # power not a number
    ]
    source = tmp_path / "survey.csv"
    source.write_bytes((header + "\n".join(rows) + "\n").encode("gbk"))
    result = runner.invoke(["import", "nrmm", str(source), "--errors-out", str(tmp_path / "err.csv")])
    assert result.exit_code == 0 and "created 2" in result.output and "rejected 2" in result.output, result.output
    errors = (tmp_path / "err.csv").read_text(encoding="utf-8-sig")
    assert "3,emission_stage" in errors and "5,rated_power_kw" in errors
    source.write_bytes((header + "LX1001,挖掘机,三一,国四,80,,2019-08-01,2019-08-20\n").encode("utf-8"))
    again = runner.invoke(["import", "nrmm", str(source)])
    assert "created 0, updated 1" in again.output
    machines = client.get("/api/v1/nrmm/machines", headers=env).get_json()["results"]
    assert [(m["pin"], m["emission_stage"], m["rated_power_kw"]) for m in machines] == [
        ("LX1001", 4, 80.0),
        ("LX1003", None, 15.0),
    ]
    (tmp_path / "bad.csv").write_text("品牌,型号\n三一,SY75\n", encoding="utf-8")
    bad = runner.invoke(["import", "nrmm", str(tmp_path / "bad.csv")])
    assert bad.exit_code != 0 and "missing column" in bad.output
