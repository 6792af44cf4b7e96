"""Every page form, posted with careless and hostile values by each department's session: never a 500,
and a refused submission stores nothing (the hardening issue, #26).

Page forms are parsed by the schema of the same API operation (`core/forms.parse_form`), so what the
API refuses the page refuses too: a penalty of -99,999 yuan or NaN, `1e100`, k = -1, a 5-character
plate, NaN spot-check readings. The test walks every POST route of the pages (from the route table),
then each field of the forms that store something, one hostile value at a time.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any

import pytest

from tests.blacklist.conftest import OFFICERS

DEPARTMENTS = ["environment", "police", "transport", "housing", "township", "station", "admin"]
HOSTILE = [
    "-99999",
    "-1",
    "0",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1e100",
    "99999999999999999999",
    "",
    "   ",
    "x" * 3000,
    "晋E123",
    "2019-13-45",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "[]",
    "1.5",
]


def _row_counts() -> dict[str, int]:
    from sqlalchemy import text

    from vehicle_enforce.core.db import Base
    from vehicle_enforce.extensions import db

    names = [t.name for t in Base.metadata.sorted_tables]
    sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{n}")' for n in names)
    counts = dict(zip(names, db.session.execute(text(sql)).one(), strict=True))
    db.session.rollback()
    return counts


def _refused(response: Any) -> bool:
    """A refusal answers 4xx, or a page flashing the error; a print form's PDF (a notice) is an answer."""
    if response.status_code >= 400:
        return True
    return response.mimetype == "text/html" and '<div class="flash error">' in response.get_data(as_text=True)


@pytest.fixture
def world(app: Any, make_user: Any, station_factory: Any, vehicle_factory: Any, client: Any, auth_headers: Any):
    """Stations, a vehicle with an open case, a pending capture, one session per department."""
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import BlackSmokeCapture

    station_factory("JC-RD-01", "roadside")
    station_factory("JC-BS-01", "black_smoke")
    vehicle_factory()
    from vehicle_enforce.core.timeutil import now_utc

    recent = (now_utc() - timedelta(hours=2)).isoformat()  # penalties must come within two years
    env = auth_headers("environment")
    failed = {
        "report_number": "FUZZ-CASE",
        "kind": "roadside",
        "station": "JC-RD-01",
        "method": "free_acceleration",
        "tested_at": recent,
        "plate": "晋E12345",
        "plate_color": "yellow",
        "readings": {"k_readings": [1.5, 1.5, 1.5]},
    }
    assert client.post("/api/v1/roadside-tests", json=failed, headers=env).status_code == 201
    capture = {"capture_id": "FUZZ-1", "captured_at": recent, "plate": "晋E12345", "ringelmann": 3}
    bs = auth_headers("station", station="JC-BS-01")
    assert client.post("/api/v1/black-smoke/captures", json=capture, headers=bs).status_code == 201
    case_id = db.session.scalar(db.select(Case.id))
    assert case_id is not None  # the failed roadside test listed the vehicle and opened a case
    confirmed = client.post(
        f"/api/v1/cases/{case_id}/actions", json={"action": "confirm", "officers": OFFICERS}, headers=env
    )
    assert confirmed.status_code == 200, confirmed.get_json()  # now it waits for the police's penalty
    capture_id = db.session.scalar(db.select(BlackSmokeCapture.id)) or 1
    sessions = {}
    for dept in DEPARTMENTS:
        kwargs = {"station": "JC-RD-01"} if dept == "station" else {}
        if dept == "township":
            kwargs = {"township": "巴公镇"}
        username, password = make_user(f"fuzz-{dept}", dept, **kwargs)
        session = app.test_client()
        session.post("/login", data={"username": username, "password": password})
        sessions[dept] = session
    # The penalty basis a browser submits by default: the first one the case page offers the police.
    page = sessions["police"].get(f"/ops/cases/{case_id}").get_data(as_text=True)
    basis = re.search(r'<select name="basis"><option value="([^"]+)"', page)
    assert basis is not None, "the case page offers no penalty basis"
    return {"sessions": sessions, "case_id": case_id, "capture_id": capture_id, "basis": basis.group(1)}


#: A decision that changes a record is stored only when confirmed (core/decisions.py); forms without one ignore it.
CONFIRMED = {"confirmed": "1"}


def _forms(world: dict[str, Any]) -> list[tuple[str, list[str], dict[str, str]]]:
    """(path, departments that may post it, a valid submission) for each form that stores something."""
    from vehicle_enforce.core.timeutil import local_day, now_utc

    tomorrow = (local_day(now_utc()) + timedelta(days=1)).isoformat()
    return [
        (
            "/ops/inspections/roadside-test",
            ["station", "environment", "police"],
            {
                "station": "JC-RD-01",
                "kind": "roadside",
                "plate": "晋E12345",
                "plate_color": "yellow",
                "method": "free_acceleration",
                "k1": "0.3",
                "k2": "0.3",
                "k3": "0.3",
                "k4": "",
                "ringelmann": "",
                "report_number": "",
            },
        ),
        (
            f"/ops/cases/{world['case_id']}",
            ["police", "environment", "transport"],
            {
                "action": "penalize",
                "decision_number": "JC-2019-001",
                "basis": world["basis"],
                "amount_yuan": "200",
                "procedure": "summary",  # 当场处罚: one officer, the decision handed over
                "served_to": "驾驶人 王某",
                "officer1_name": "张警官",
                "officer1_cert": "14050001",
            },
        ),
        (
            "/ops/nrmm/spot-checks",
            ["environment", "housing"],
            {
                "pin": "FUZZPIN01",
                "checked_at": "2019-11-05T10:00",
                "k1": "0.3",
                "k2": "0.3",
                "k3": "0.3",
                "ringelmann": "0",
                "rated_power_kw": "50",
                "emission_stage": "3",
            },
        ),
        (
            "/ops/rules/changes",
            ["environment"],
            {
                "section": "listing",
                "min_exceeding_passes": "3",
                "window_days": "90",
                "distinct_days": "1",
                "reason": "测试",
                "effective_from": tomorrow,
            },
        ),
        (
            "/ops/rules/changes",
            ["environment"],
            {
                "section": "limits",
                "set_name": "GB3847-2018 limit b",
                "limit|free_acceleration|k": "0.7",
                "reason": "测试",
                "effective_from": tomorrow,
            },
        ),
        (
            "/ops/rules/changes",
            ["environment"],
            {"section": "validity", "range|speed|min": "5", "range|speed|max": "100", "reason": "测试"}
            | {"effective_from": tomorrow},
        ),
        (
            "/ops/alerts/",
            ["environment"],
            {"level": "orange", "starts_at": "2019-12-01T00:00", "ends_at": "2019-12-03T00:00"},
        ),
        (
            "/ops/inspections/black-smoke",
            ["environment"],
            {"capture_id": str(world["capture_id"]), "decision": "confirm", "note": "复核"},
        ),
    ]


def _page_post_routes(app: Any) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or "POST" not in (rule.methods or set()):
            continue
        paths.append(re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule))
    return sorted(set(paths))


def test_every_page_form_with_every_department_never_fails(app: Any, world: dict[str, Any]) -> None:
    """Every POST route of the pages, each department, an empty and an all-hostile submission."""
    routes = _page_post_routes(app)
    assert len(routes) >= 10
    fields = {name for _path, _depts, form in _forms(world) for name in form}
    for path in routes:
        if path in ("/logout", "/login"):
            continue
        for dept, session in world["sessions"].items():
            for value in ("", "-1", "NaN", "1e100", "x" * 3000):
                before = _row_counts()
                res = session.post(path, data=dict.fromkeys(fields, value), follow_redirects=True)
                assert res.status_code < 500, (path, dept, value, res.status_code)
                if _refused(res):
                    assert _row_counts() == before, (path, dept, value)


@pytest.mark.parametrize("index", range(8))
def test_each_field_of_each_form_refuses_hostile_values_and_stores_nothing(
    app: Any, world: dict[str, Any], index: int
) -> None:
    path, departments, form = _forms(world)[index]
    session = world["sessions"][departments[0]]
    # Hostile values first, while the record is still open to the form's action (a case waiting for its
    # penalty), so each one reaches the validation; the valid submission last proves the form works.
    accepted = 0
    for name in form:
        for value in HOSTILE:
            before = _row_counts()
            res = session.post(path, data={**form, name: value, **CONFIRMED}, follow_redirects=True)
            assert res.status_code < 500, (path, name, value, res.status_code)
            if _refused(res):
                assert _row_counts() == before, (path, name, value)
            else:
                accepted += 1  # a careless value that is still valid there ("0" yuan, a blank optional field)
            _stored_data_is_sane()
    assert accepted < len(form) * len(HOSTILE) / 2  # the form really refuses
    valid = session.post(path, data={**form, **CONFIRMED}, follow_redirects=True)
    assert valid.status_code < 500, path
    if not accepted:  # nothing moved the record on: the valid submission must go through
        assert not _refused(valid), (path, valid.get_data(as_text=True)[-2000:])


def _stored_data_is_sane() -> None:
    """Whatever the forms accepted is what the API would accept: no impossible value was stored."""
    from plates import normalize_plate
    from plates.text import validate_plate
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.core.timeutil import local_day, now_utc
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections import rules
    from vehicle_enforce.inspections.models import RoadsideTest, RuleChange
    from vehicle_enforce.nrmm.models import SpotCheck

    for case in db.session.scalars(db.select(Case)):
        assert case.amount_yuan is None or 0 <= case.amount_yuan <= 100_000
    for test in db.session.scalars(db.select(RoadsideTest)):
        assert validate_plate(normalize_plate(test.plate), "unknown").ok, test.plate
        for k in test.readings.get("k_readings", []):
            assert math.isfinite(k) and 0 <= k <= 20
    for check in db.session.scalars(db.select(SpotCheck)):
        assert all(math.isfinite(k) and 0 <= k <= 20 for k in check.k_readings)
    days = {local_day(now_utc())} | set(db.session.scalars(db.select(RuleChange.effective_from)))
    for day in days:
        rules.RulesBook().on(day)  # every stored book builds


def test_every_page_with_hostile_query_values_never_fails(app: Any, world: dict[str, Any]) -> None:
    """Every page GET route, each department: ids beyond the database's range, far dates, text where
    numbers go, hidden characters (refused with 422), never a 500."""
    paths = sorted(
        {
            re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or set()) and not rule.rule.startswith(("/api/", "/static"))
        }
    )
    assert len(paths) >= 15
    queries = [
        {"before": "99999999999999", "after": "99999999999999", "cursor": "99999999999999"},
        {"on": "9999-12-31", "since": "0001-01-01", "until": "9999-12-31", "month": "9999-99"},
        {"plate": "x" * 3000, "status": "NaN", "state": "1e100", "verdict": "-1", "machine": "[]"},
        {"plate": "晋E\x0012345"},
    ]
    for path in paths:
        for dept, session in world["sessions"].items():
            for query in queries:
                res = session.get(path, query_string=query)
                assert res.status_code < 500, (path, dept, query, res.status_code)
                if "\x00" in "".join(query.values()):
                    assert res.status_code == 422, (path, dept)
