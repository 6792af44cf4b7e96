"""Working-day deadlines (行政处罚法 第八十五条): the shipped holiday calendar with 调休, edited by admin."""

from __future__ import annotations

from datetime import timedelta

from tests.blacklist.conftest import beijing_today


def deadline(client, headers, start, days):
    r = client.get(f"/api/v1/calendar/deadline?start={start}&working_days={days}", headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_working_days_skip_the_national_day_holiday_and_count_its_make_up_day(client, auth_headers):
    police = auth_headers("police")
    # 2026: 10-01..10-07 off; Saturday 10-10 is a 调休 working day (国办发明电〔2025〕7号).
    answer = deadline(client, police, "2026-09-30", 3)
    assert answer["due"] == "2026-10-10" and answer["unsure_years"] == [] and "warning" not in answer
    assert deadline(client, police, "2026-09-29", 5)["due"] == "2026-10-12"
    # 2019: 10-01..10-07 off; Saturday 10-12 a working day.
    assert deadline(client, police, "2019-09-30", 3)["due"] == "2019-10-10"
    assert deadline(client, police, "2019-10-09", 3)["due"] == "2019-10-12"
    # An ordinary week: Friday + 1 working day is Monday.
    assert deadline(client, police, "2026-11-20", 1)["due"] == "2026-11-23"
    days = {d["date"]: d for d in client.get("/api/v1/calendar/2026", headers=police).get_json()["days"]}
    assert days["2026-10-10"]["kind"] == "workday" and days["2026-10-01"]["kind"] == "holiday"
    assert days["2026-02-14"]["kind"] == "workday" and days["2026-02-16"]["name"] == "春节"


def test_a_year_without_its_notice_is_flagged_until_admin_enters_it(client, auth_headers):
    env, admin = auth_headers("environment"), auth_headers("admin")
    answer = deadline(client, env, "2027-09-30", 3)
    assert answer["unsure_years"] == [2027] and "2027" in answer["warning"]
    assert client.get("/api/v1/calendar/2027", headers=env).get_json()["complete"] is False
    # Shipped: the statutory days (10-01..10-03 and, for the weekend, 10-04/10-05 in lieu).
    assert answer["due"] == "2027-10-08"
    # Admin enters the notice once published (hypothetical days here: two more days off, Saturday worked).
    for day, kind in (("2027-10-06", "holiday"), ("2027-10-07", "holiday"), ("2027-10-09", "workday")):
        r = client.put(f"/api/v1/calendar/days/{day}", json={"kind": kind, "name": "国庆节"}, headers=admin)
        assert r.status_code == 200, r.get_json()
    r = client.post("/api/v1/calendar/2027/complete", json={"source": "国办发明电〔2026〕X号"}, headers=admin)
    assert r.status_code == 200 and r.get_json()["complete"] is True
    answer = deadline(client, env, "2027-09-30", 3)
    assert answer["unsure_years"] == [] and answer["due"] == "2027-10-11"
    assert client.post("/api/v1/calendar/2027/complete", json={"source": ""}, headers=admin).status_code == 422


def test_admin_corrects_a_day_and_others_may_not(client, auth_headers):
    police, admin = auth_headers("police"), auth_headers("admin")
    assert deadline(client, police, "2026-09-29", 5)["due"] == "2026-10-12"
    body = {"kind": "holiday", "name": "本县补充假日", "note": "县政府通知"}
    assert client.put("/api/v1/calendar/days/2026-10-12", json=body, headers=police).status_code == 403
    assert client.put("/api/v1/calendar/days/2026-10-12", json=body, headers=admin).status_code == 200
    assert deadline(client, police, "2026-09-29", 5)["due"] == "2026-10-13"
    back = {"kind": "normal"}
    assert client.put("/api/v1/calendar/days/2026-10-12", json=back, headers=admin).status_code == 200
    assert deadline(client, police, "2026-09-29", 5)["due"] == "2026-10-12"
    bad = client.put("/api/v1/calendar/days/2026-13-40", json=body, headers=admin)
    assert bad.status_code == 422 and "day" in bad.get_json()["error"]["fields"]
    bad = client.put("/api/v1/calendar/days/2026-10-12", json={"kind": "party"}, headers=admin)
    assert bad.status_code == 422
    bad = client.get("/api/v1/calendar/deadline?start=2026-09-29&working_days=-1", headers=police)
    assert bad.status_code == 422


def test_a_new_case_waits_three_working_days_for_environment(vehicle, post_pass, client, auth_headers):
    vid = vehicle()
    day = beijing_today() - timedelta(days=3)
    post_pass("晋E12345", f"{day.isoformat()}T10:00:00+08:00")
    post_pass("晋E12345", f"{(day + timedelta(days=1)).isoformat()}T10:00:00+08:00")
    env = auth_headers("environment")
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=env).get_json()["results"]
    expected = deadline(client, env, beijing_today().isoformat(), 3)["due"]
    from datetime import datetime

    from vehicle_enforce.core.timeutil import to_local

    due = to_local(datetime.fromisoformat(case["due_at"]))
    assert due.date().isoformat() == expected and (due.hour, due.minute) == (23, 59)
