"""Access-control matrix generated from the route table.

Every API route × every department (plus no token and a revoked token) → the expected status. The
MATRIX below states the policy a second time, independent of the decorators: a route added without an
entry here, or whose decorator disagrees with its entry, fails the test.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.passes import pass_body
from vehicle_enforce.inspections import examples as ex

ALL = frozenset({"environment", "police", "transport", "housing", "township", "station", "admin"})
PUBLIC = "public"
ANY = ALL

# (METHOD, rule) -> departments allowed (admin is always allowed), or PUBLIC.
MATRIX: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/me"): ANY,
    ("GET", "/api/v1/tokens"): frozenset({"admin"}),
    ("POST", "/api/v1/tokens"): frozenset({"admin"}),
    ("POST", "/api/v1/tokens/<int:token_id>/revoke"): frozenset({"admin"}),
    ("GET", "/api/v1/counties"): ANY,
    ("POST", "/api/v1/counties"): frozenset({"admin"}),
    ("POST", "/api/v1/vehicles"): frozenset({"environment", "transport"}),
    ("GET", "/api/v1/vehicles"): frozenset({"environment", "transport", "police", "township", "station"}),
    ("GET", "/api/v1/vehicles/<int:vehicle_id>"): frozenset(
        {"environment", "transport", "police", "township", "station"}
    ),
    ("POST", "/api/v1/vehicles/match"): frozenset({"environment", "transport", "police", "station"}),
    ("POST", "/api/v1/plates/read"): frozenset({"environment", "transport", "police", "station"}),
    ("GET", "/api/v1/owners"): frozenset({"environment", "transport", "police"}),
    ("GET", "/api/v1/owners/<int:owner_id>"): frozenset({"environment", "transport", "police"}),
    # inspections
    ("POST", "/api/v1/remote-sensing/passes"): frozenset({"station", "environment"}),
    ("GET", "/api/v1/remote-sensing/passes"): frozenset({"environment", "police", "transport", "township", "station"}),
    ("GET", "/api/v1/remote-sensing/passes/<int:pass_id>"): frozenset(
        {"environment", "police", "transport", "township", "station"}
    ),
    ("GET", "/api/v1/evidence/<sha256>"): frozenset({"environment", "police"}),
    ("POST", "/api/v1/roadside-tests"): frozenset({"station", "environment", "police"}),
    ("GET", "/api/v1/roadside-tests"): frozenset({"environment", "police", "transport", "township", "station"}),
    ("POST", "/api/v1/inspection-results"): frozenset({"station", "environment"}),
    ("GET", "/api/v1/inspection-results"): frozenset({"environment", "police", "transport", "township", "station"}),
    ("POST", "/api/v1/black-smoke/captures"): frozenset({"station", "environment"}),
    ("GET", "/api/v1/black-smoke/captures"): frozenset({"environment", "police", "transport", "township", "station"}),
    ("GET", "/api/v1/black-smoke/captures/<int:capture_id>"): frozenset(
        {"environment", "police", "transport", "township", "station"}
    ),
    ("POST", "/api/v1/black-smoke/captures/<int:capture_id>/review"): frozenset({"environment"}),
    ("POST", "/api/v1/repairs"): frozenset({"station", "environment", "transport"}),
    ("GET", "/api/v1/repairs"): frozenset({"environment", "police", "transport", "township", "station"}),
    ("GET", "/api/v1/rules"): frozenset({"environment", "police", "transport", "township", "station"}),
    ("GET", "/api/v1/rules/changes"): frozenset({"environment", "police", "transport", "township", "station"}),
    ("POST", "/api/v1/rules/changes"): frozenset({"environment"}),
    ("POST", "/api/v1/rules/changes/<int:change_id>/withdraw"): frozenset({"environment"}),
    # Phase-out (issue 7): the transport bureau runs it; environment and townships (their own) read it.
    # Heavy-pollution alerts (issue 11)
    ("GET", "/api/v1/alerts/active"): ANY,
    ("POST", "/api/v1/alerts"): frozenset({"environment"}),
    ("POST", "/api/v1/alerts/<int:alert_id>/actions"): frozenset({"environment"}),
    ("POST", "/api/v1/alerts/enterprise-grades"): frozenset({"environment"}),
    ("POST", "/api/v1/alerts/gate-records"): frozenset({"environment"}),
    ("GET", "/api/v1/alerts/<int:alert_id>/report.<fmt>"): frozenset({"environment", "transport", "police"}),
    # Match reviews (issue 24): environment decides, a station sees its own records
    ("GET", "/api/v1/match-reviews"): frozenset({"environment", "station"}),
    ("GET", "/api/v1/match-reviews/<int:review_id>"): frozenset({"environment", "station"}),
    ("POST", "/api/v1/match-reviews/<int:review_id>"): frozenset({"environment"}),
    # Non-road machinery (issue 8)
    ("GET", "/api/v1/nrmm/machines"): frozenset({"environment", "housing", "township"}),
    ("POST", "/api/v1/nrmm/machines"): frozenset({"environment", "housing", "township"}),
    ("GET", "/api/v1/nrmm/machines/export"): frozenset({"environment", "housing"}),
    ("GET", "/api/v1/nrmm/sites"): frozenset({"environment", "housing", "township"}),
    ("GET", "/api/v1/nrmm/progress"): frozenset({"environment", "housing"}),
    ("POST", "/api/v1/nrmm/sites"): frozenset({"environment", "housing"}),
    ("GET", "/api/v1/nrmm/sampling-plans"): frozenset({"environment", "housing", "township"}),
    ("POST", "/api/v1/nrmm/sampling-plans"): frozenset({"environment"}),
    ("GET", "/api/v1/nrmm/sampling-plans/<month>"): frozenset({"environment", "housing", "township"}),
    ("GET", "/api/v1/nrmm/sampling-plans/<month>/report.xlsx"): frozenset({"environment", "housing", "township"}),
    ("POST", "/api/v1/nrmm/sampling-plans/items/<int:item_id>/not-found"): frozenset(
        {"environment", "housing", "township"}
    ),
    ("GET", "/api/v1/nrmm/spot-checks"): frozenset({"environment", "housing", "township"}),
    ("POST", "/api/v1/nrmm/spot-checks"): frozenset({"environment", "housing", "township"}),
    # Who may impose is the basis's department (penalties.check_authority: 403 for the others).
    ("POST", "/api/v1/nrmm/spot-checks/<int:check_id>/penalty-actions"): frozenset(
        {"environment", "housing", "township"}
    ),
    # Exports (issue 9)
    ("GET", "/api/v1/exports/status"): frozenset({"environment", "transport"}),
    ("GET", "/api/v1/exports/status.xlsx"): frozenset({"environment", "transport"}),
    ("GET", "/api/v1/reports/monthly.<fmt>"): frozenset({"environment", "transport"}),
    ("GET", "/api/v1/exports/missing"): frozenset({"environment", "transport"}),
    ("GET", "/api/v1/exports/failed"): frozenset({"environment", "transport"}),
    ("POST", "/api/v1/exports/<int:record_id>/resend"): frozenset({"environment"}),
    # Blacklist, cases and hotlist (issue 5)
    ("GET", "/api/v1/blacklist"): frozenset({"environment", "police", "transport"}),
    ("GET", "/api/v1/blacklist/report.xlsx"): frozenset({"environment", "police", "transport"}),
    ("POST", "/api/v1/blacklist"): frozenset({"environment"}),
    ("GET", "/api/v1/blacklist/<int:entry_id>"): frozenset({"environment", "police", "transport"}),
    ("POST", "/api/v1/blacklist/<int:entry_id>/release"): frozenset({"environment"}),
    ("GET", "/api/v1/hotlist/check"): frozenset({"police"}),
    ("POST", "/api/v1/hotlist/check"): frozenset({"police"}),
    ("GET", "/api/v1/cases"): frozenset({"environment", "police", "transport"}),
    ("GET", "/api/v1/cases/<int:case_id>"): frozenset({"environment", "police", "transport"}),
    ("POST", "/api/v1/cases/<int:case_id>/actions"): frozenset({"environment", "police", "transport", "station"}),
    ("GET", "/api/v1/cases/overdue"): frozenset({"environment", "police", "transport"}),
    ("GET", "/api/v1/inbox"): frozenset({"environment", "police", "transport"}),
    ("GET", "/api/v1/changes"): frozenset({"environment", "police", "transport"}),
    ("GET", "/api/v1/penalty-bases"): frozenset({"environment", "police", "transport"}),
    ("POST", "/api/v1/evidence-withdrawals"): frozenset({"environment"}),
    ("GET", "/api/v1/calendar/<int:year>"): frozenset({"environment", "police", "transport"}),
    ("PUT", "/api/v1/calendar/days/<day>"): frozenset({"admin"}),
    ("POST", "/api/v1/calendar/<int:year>/complete"): frozenset({"admin"}),
    ("GET", "/api/v1/calendar/deadline"): frozenset({"environment", "police", "transport"}),
    ("GET", "/api/v1/phaseout/eligible"): frozenset({"transport", "environment", "township"}),
    ("GET", "/api/v1/phaseout/quotas"): frozenset({"transport", "environment", "township"}),
    ("POST", "/api/v1/phaseout/quotas"): frozenset({"transport"}),
    ("GET", "/api/v1/phaseout/actions"): frozenset({"transport", "environment", "township"}),
    ("POST", "/api/v1/phaseout/actions"): frozenset({"transport"}),
    ("GET", "/api/v1/phaseout/progress"): frozenset({"transport", "environment", "township"}),
    ("GET", "/api/v1/phaseout/progress.csv"): frozenset({"transport", "environment", "township"}),
    ("GET", "/api/v1/phaseout/progress.xlsx"): frozenset({"transport", "environment", "township"}),
    ("GET", "/api/v1/phaseout/progress/chart.png"): frozenset({"transport", "environment", "township"}),
    ("GET", "/api/v1/phaseout/progress/chart.svg"): frozenset({"transport", "environment", "township"}),
    ("GET", "/api/v1/phaseout/seen-again"): frozenset({"environment", "police", "transport"}),
    ("POST", "/api/v1/phaseout/seen-again/<int:alert_id>/handle"): frozenset({"environment", "police"}),
    # Numbered PDF notices (issue 30): who prints each is who may see its subject (auth/scope.py decides the
    # row: a station its own tests, a township its own spot checks); only the issuing unit voids one.
    ("GET", "/api/v1/roadside-tests/<int:test_id>/notice.pdf"): frozenset({"station", "environment", "police"}),
    ("GET", "/api/v1/cases/<int:case_id>/notices/<kind>.pdf"): frozenset({"environment", "police", "transport"}),
    ("GET", "/api/v1/nrmm/spot-checks/<int:check_id>/record.pdf"): frozenset({"environment", "housing", "township"}),
    ("GET", "/api/v1/notices/<int:notice_id>.pdf"): frozenset(
        {"environment", "police", "transport", "housing", "township", "station"}
    ),
    ("POST", "/api/v1/notices/<int:notice_id>/void"): frozenset({"environment", "police", "transport"}),
}


def api_routes(app):
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/v1/") or rule.rule == "/healthz"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, rule


def concrete(rule) -> str:
    from werkzeug.routing import IntegerConverter

    path = rule.rule
    for name in rule.arguments:
        converter = rule._converters[name]
        # An id no probe token has: probing /tokens/1/revoke must not revoke the admin's own token.
        value = "999999" if isinstance(converter, IntegerConverter) else "x"
        for pattern in (f"<int:{name}>", f"<string:{name}>", f"<path:{name}>", f"<{name}>"):
            path = path.replace(pattern, value)
    return path


def test_every_route_has_a_matrix_entry_that_matches_its_decorator(app):
    missing, disagree = [], []
    for method, rule in api_routes(app):
        key = (method, rule.rule)
        if key not in MATRIX:
            missing.append(key)
            continue
        declared = getattr(app.view_functions[rule.endpoint], "api_departments", None)
        expected = MATRIX[key]
        if declared is None:
            disagree.append((key, "no @api_access"))
        elif expected == PUBLIC:
            if "public" not in declared:
                disagree.append((key, sorted(declared)))
        elif "any" in declared:
            if expected != ANY:
                disagree.append((key, "any"))
        elif (set(declared) | {"admin"}) != (set(expected) | {"admin"}):
            disagree.append((key, sorted(declared), sorted(expected)))
    assert not missing, f"routes without an access-matrix entry: {missing}"
    assert not disagree, f"decorators disagree with the matrix: {disagree}"
    stale = set(MATRIX) - {(m, r.rule) for m, r in api_routes(app)}
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def _call(client, method, path, headers):
    kwargs = {"headers": headers}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = {}
    return client.open(path, method=method, **kwargs)


@pytest.mark.slow
def test_every_route_by_every_department(app, client, auth_headers):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    # The revoked token is made first so it gets id 1: probing POST /tokens/1/revoke then revokes it
    # again instead of revoking the admin token and failing every route probed after it.
    revoked = services.create_token(TokenIn(name="revoked", department=Department("admin")), actor=SYSTEM)
    services.revoke_token(revoked.token.id, actor=SYSTEM)
    transaction.commit()
    tokens = {dept: auth_headers(dept, station="JC-RS-01" if dept == "station" else None) for dept in sorted(ALL)}
    revoked_headers = {"Authorization": f"Bearer {revoked.secret}"}
    problems = []
    for method, rule in api_routes(app):
        expected = MATRIX.get((method, rule.rule))
        if expected is None:
            continue
        path = concrete(rule)
        anonymous = _call(client, method, path, {})
        if anonymous.status_code >= 500:
            problems.append((method, path, "anonymous", anonymous.status_code))
        if expected != PUBLIC and anonymous.status_code != 401:
            problems.append((method, path, "no token", anonymous.status_code))
        revoked_status = _call(client, method, path, revoked_headers).status_code
        if expected != PUBLIC and revoked_status != 401:
            problems.append((method, path, "revoked token", revoked_status))
        for dept, headers in tokens.items():
            status = _call(client, method, path, headers).status_code
            allowed = expected == PUBLIC or dept == "admin" or dept in expected
            if status >= 500:
                problems.append((method, path, dept, status))
            elif allowed and status in (401, 403) and not _scoped(method, rule.rule, dept):
                problems.append((method, path, dept, f"refused {status} but allowed"))
            elif not allowed and status != 403:
                problems.append((method, path, dept, f"got {status}, expected 403"))
    assert not problems, problems


# Routes where an allowed department may still get 403 for an object outside its scope (township,
# station): the matrix probes with placeholder ids, so scope refusals are not policy violations.
SCOPED: set[tuple[str, str, str]] = set()


def _scoped(method: str, rule: str, dept: str) -> bool:
    return (method, rule, dept) in SCOPED


# --- Scope: every list and lookup, with each department's token, returns only the caller's rows --------

OUR_TOWNSHIP, THEIR_TOWNSHIP = 9, 1  # 巴公镇 (the township probe token's), 南村镇
THEIR_MARKERS = (
    "PIN-THEIRS",
    "工地-THEIRS",
    "晋E90001",
    "LSGTHZRS900000001",
    # What stations send: records of the other township's vehicle, and of a plate of no township, both at
    # the other township's station (a township sees its vehicles' records and its own stations').
    "RS-THEIRS",
    "RS-STRAY",
    "RT-THEIRS",
    "RT-STRAY",
)
PERSONAL = ("91350100M000100Y43", "13912345678", "巴公镇工业园区八号院")
OTHER_STATION_TEXT = "OTHER-STATION-EVIDENCE"


def _seed_two_townships(client, env):
    def post(url, body):
        r = client.post(url, json=body, headers=env)
        assert r.status_code in (200, 201), (url, r.get_data(as_text=True))
        return r.get_json()

    site = {
        t: post("/api/v1/nrmm/sites", {"name": name, "kind": "construction", "township_id": t})["id"]
        for t, name in ((OUR_TOWNSHIP, "工地-OURS"), (THEIR_TOWNSHIP, "工地-THEIRS"))
    }
    machine = {
        t: post(
            "/api/v1/nrmm/machines",
            {
                "pin": pin,
                "machine_type": "excavator",
                "emission_stage": 3,
                "rated_power_kw": 75.0,
                "site_id": site[t],
                "registered_on": "2019-10-01",
            },
        )["id"]
        for t, pin in ((OUR_TOWNSHIP, "PIN-OURS"), (THEIR_TOWNSHIP, "PIN-THEIRS"))
    }
    post("/api/v1/nrmm/sampling-plans", {"month": "2019-11", "seed": 3, "share": 1.0})
    for t in (OUR_TOWNSHIP, THEIR_TOWNSHIP):
        post(
            "/api/v1/nrmm/spot-checks",
            {"machine_id": machine[t], "checked_at": "2019-11-05T10:00:00+08:00", "k_readings": [0.1, 0.1, 0.1]},
        )
    truck = {"plate_color": "yellow", "vehicle_type": "heavy_truck", "fuel": "diesel", "emission_standard": 3}
    owner = {"kind": "enterprise", "name": "某物流公司", "credit_code": PERSONAL[0], "phone": PERSONAL[1]}
    ours = post(
        "/api/v1/vehicles",
        {
            **truck,
            "plate": "晋E10001",
            "township": "巴公镇",
            "owner": {**owner, "address": "山西省晋城市泽州县" + PERSONAL[2]},
        },
    )["id"]
    post("/api/v1/vehicles", {**truck, "plate": "晋E90001", "vin": THEIR_MARKERS[3], "township": "南村镇"})
    _seed_station_records(post)
    return site, machine, ours


#: A station in each township (巴公镇 ours, 南村镇 theirs).
OUR_STATION, THEIR_STATION = "JC-RS-09", "JC-RS-05"
PASSED = {"readings": {"k_readings": [0.4, 0.4, 0.4, 0.4]}, "note": None}  # lists no vehicle


def _seed_station_records(post):
    """Passes and roadside tests at both townships' stations, of both townships' vehicles and of a plate
    no township registered. The markers of the records the township must not see are in THEIR_MARKERS;
    our vehicle's records at their station and everything at our station stay visible."""
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.inspections import stations

    for code, township in ((OUR_STATION, "巴公镇"), (THEIR_STATION, "南村镇")):
        stations.create_station(
            code=code, kind="remote_sensing", name=code, township=township, actor=actors.system("test")
        )
    transaction.commit()
    records = [
        (THEIR_STATION, "晋E90001", "THEIRS"),  # their vehicle at their station
        (THEIR_STATION, "晋E77777", "STRAY"),  # no township's vehicle, at their station
        (THEIR_STATION, "晋E10001", "OURS-AWAY"),  # our vehicle at their station
        (OUR_STATION, "晋E88888", "OURS-HERE"),  # any vehicle at our station
    ]
    for station, plate, marker in records:
        post(
            "/api/v1/remote-sensing/passes",
            pass_body(f"RS-{marker}", "2019-11-02T09:00:00+08:00", station=station, plate=plate),
        )
        post(
            "/api/v1/roadside-tests",
            {**ex.ROADSIDE_TEST_IN, "station": station, "report_number": f"RT-{marker}", "plate": plate, **PASSED},
        )


def _rows_outside(data, dept, theirs):
    """Ids of `data` (walked recursively) that belong to the other township."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            number = isinstance(value, int) and not isinstance(value, bool)
            other_township = key == "township_id" and number and value != OUR_TOWNSHIP
            other_row = key in ("site_id", "machine_id") and number and value in theirs[key]
            other_vehicle = key == "township" and isinstance(value, dict) and value.get("name") not in (None, "巴公镇")
            if other_township or other_row or other_vehicle:
                found.append((key, value))
            else:
                found.extend(_rows_outside(value, dept, theirs))
    elif isinstance(data, list):
        for item in data:
            found.extend(_rows_outside(item, dept, theirs))
    return found


def _probe_paths(app):
    """Every GET list and lookup route, lookups with each of the first few ids (both townships' rows)."""
    for method, rule in api_routes(app):
        if method != "GET" or rule.rule == "/api/v1/openapi.json":
            continue
        ints = [a for a in rule.arguments if type(rule._converters[a]).__name__ == "IntegerConverter"]
        path = concrete(rule).replace("/sampling-plans/x", "/sampling-plans/2019-11")
        if not ints:
            yield rule.rule, path
            continue
        for value in range(1, 7):
            yield rule.rule, concrete(rule).replace("999999", str(value))


@pytest.mark.slow
def test_every_list_and_lookup_stays_in_the_callers_scope(app, client, auth_headers, station_factory):
    from vehicle_enforce.blacklist import services as blacklist
    from vehicle_enforce.core import transaction

    env = auth_headers("environment")
    site, machine, our_vehicle = _seed_two_townships(client, env)
    station_factory("JC-RS-02", name="另一遥感站")
    evidence = [
        {"source": "remote_sensing", "station": "JC-RS-02", "text": OTHER_STATION_TEXT, "measured_at": "2019-11-01"}
    ]
    blacklist._create_entry(our_vehicle, "rule", "remote_sensing_repeat", OTHER_STATION_TEXT, evidence, "system")
    transaction.commit()
    theirs = {"site_id": {site[THEIR_TOWNSHIP]}, "machine_id": {machine[THEIR_TOWNSHIP]}}
    tokens = {dept: auth_headers(dept, station="JC-RS-01" if dept == "station" else None) for dept in sorted(ALL)}
    problems, county_saw = [], set()
    for _rule, path in _probe_paths(app):
        for dept, headers in tokens.items():
            r = client.get(path, headers=headers)
            if r.status_code >= 500:
                problems.append((path, dept, r.status_code))
                continue
            if r.status_code != 200 or not (r.is_json or r.mimetype.startswith("text/")):
                continue
            text = r.get_data(as_text=True)
            if dept in ("environment", "admin"):
                county_saw.update(m for m in (*THEIR_MARKERS, *PERSONAL, OTHER_STATION_TEXT) if m in text)
            if dept == "township":
                leaked = [m for m in THEIR_MARKERS if m in text]
                leaked += _rows_outside(r.get_json(), dept, theirs) if r.is_json else []
                if leaked:
                    problems.append((path, dept, "another township's rows", leaked))
            if dept in ("township", "station"):
                shown = [m for m in PERSONAL if m in text]
                if shown:
                    problems.append((path, dept, "personal data unmasked", shown))
            if dept == "station" and OTHER_STATION_TEXT in text:
                problems.append((path, dept, "another station's evidence text"))
    assert not problems, problems
    # The probe is not vacuous: the county sees every record the township and station must not.
    assert county_saw == {*THEIR_MARKERS, *PERSONAL, OTHER_STATION_TEXT}, county_saw


def test_a_township_reads_its_vehicles_records_and_its_stations_records(app, client, auth_headers):
    """Lists and lookups of passes and roadside tests: our vehicle anywhere, anything at our station."""
    env = auth_headers("environment")
    _seed_two_townships(client, env)
    township = auth_headers("township")
    for path, key in (("/api/v1/remote-sensing/passes", "record_id"), ("/api/v1/roadside-tests", "report_number")):
        prefix = "RS-" if "passes" in path else "RT-"
        county = {r[key]: r["id"] for r in client.get(path, headers=env).get_json()["results"]}
        seen = {r[key] for r in client.get(path, headers=township).get_json()["results"]}
        assert seen == {prefix + "OURS-AWAY", prefix + "OURS-HERE"}, (path, seen)
        assert set(county) >= {prefix + m for m in ("THEIRS", "STRAY", "OURS-AWAY", "OURS-HERE")}
        if "passes" in path:  # the lookup answers as the list does: 404 for the rows outside
            assert client.get(f"{path}/{county['RS-OURS-AWAY']}", headers=township).status_code == 200
            assert client.get(f"{path}/{county['RS-THEIRS']}", headers=township).status_code == 404


# --- County axis (#29): every list and action of a county's caller stays in its county -------------------
#
# Two counties: 泽州县 (the one the migration made, with the seeded townships) holds one of every
# per-county record, made through the API by its own officers; 高平市 (made here, with 米山镇 and a
# station) has a token for every department. 高平市's callers walk every GET route (lookups with the
# first ids) and must see none of 泽州县's per-county records; they must still see its truck in the
# city-wide registry, blacklist, hotlist and change feed. Then every write route that names a record
# by id is classified (per county or city-wide), and each per-county one answers 404 to 高平市's callers
# for 泽州县's record, as for a missing one; writes that name 泽州县's records in their body are refused.

ZEZHOU, GAOPING = "140525", "140581"
COUNTY_A_MARKERS = ("工地-COUNTYA", "PIN-COUNTYA", "晋E5A001", "晋E5A002")
#: Routes whose rows are per county: text markers and 泽州县's row ids must not appear in them.
PER_COUNTY_ROUTES = ("/api/v1/cases", "/api/v1/nrmm", "/api/v1/phaseout", "/api/v1/tokens", "/api/v1/inbox")
PER_COUNTY_PAGES = ("/ops/cases", "/ops/nrmm", "/ops/phaseout")

#: Every write that names a record by id in its path: is the record per county (404 across counties)
#: or city-wide (a truck listed in one county is stopped in the next; the city's rules, alerts, exports)?
ACTION_COUNTY: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/tokens/<int:token_id>/revoke"): "county",
    ("POST", "/api/v1/nrmm/sampling-plans/items/<int:item_id>/not-found"): "county",
    ("POST", "/api/v1/nrmm/spot-checks/<int:check_id>/penalty-actions"): "county",
    ("POST", "/api/v1/cases/<int:case_id>/actions"): "county",
    ("POST", "/api/v1/notices/<int:notice_id>/void"): "county",  # a notice is its county unit's (#30)
    ("POST", "/api/v1/phaseout/seen-again/<int:alert_id>/handle"): "county",
    # The blacklist is read city-wide; releasing a listing acts on its case, which is its county's.
    ("POST", "/api/v1/blacklist/<int:entry_id>/release"): "county",
    ("POST", "/api/v1/black-smoke/captures/<int:capture_id>/review"): "city",
    ("POST", "/api/v1/match-reviews/<int:review_id>"): "city",
    ("POST", "/api/v1/exports/<int:record_id>/resend"): "city",
    ("POST", "/api/v1/rules/changes/<int:change_id>/withdraw"): "city",
    ("POST", "/api/v1/alerts/<int:alert_id>/actions"): "city",  # the city's heavy-pollution alerts
    ("POST", "/api/v1/calendar/<int:year>/complete"): "city",  # the State Council's calendar
    ("PUT", "/api/v1/calendar/days/<day>"): "city",
}


def _county_token(department, county, *, township=None, station=None):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core.actors import SYSTEM

    issued = services.create_token(
        TokenIn(
            name=f"{county}-{department}",
            department=Department(department),
            county=county,
            township=township,
            station=station,
        ),
        actor=SYSTEM,
    )
    return issued, {"Authorization": f"Bearer {issued.secret}"}


@pytest.fixture
def two_counties(app, client):
    """泽州县's per-county records (ids by kind) and 高平市's tokens by department."""
    from sqlalchemy import select

    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.auth.schemas import CountyIn, TownshipIn
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.core.timeutil import SHANGHAI
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections import stations
    from vehicle_enforce.nrmm.models import PlanItem
    from vehicle_enforce.phaseout import sightings
    from vehicle_enforce.phaseout.models import SeenAgainAlert

    system = actors.system("test")
    services.create_county(CountyIn(code=GAOPING, name="高平市"), actor=system)
    services.create_township(TownshipIn(code="mishan", name="米山镇", county=GAOPING), actor=system)
    stations.create_station(code="GP-RS-01", kind="remote_sensing", name="米山镇遥感", township="米山镇", actor=system)
    stations.create_station(code="JC-RS-09", kind="remote_sensing", name="巴公镇遥感", township="巴公镇", actor=system)
    gaoping = {
        dept: _county_token(
            dept,
            GAOPING,
            township="米山镇" if dept == "township" else None,
            station="GP-RS-01" if dept == "station" else None,
        )[1]
        for dept in sorted(ALL)
    }
    env = _county_token("environment", ZEZHOU)[1]
    transport = _county_token("transport", ZEZHOU)[1]
    their_token = _county_token("admin", ZEZHOU)[0].token.id
    city = {dept: _county_token(dept, None)[1] for dept in ("environment", "admin", "police", "transport")}
    transaction.commit()

    def post(url, body, headers=env):
        r = client.post(url, json=body, headers=headers)
        assert r.status_code in (200, 201), (url, r.get_data(as_text=True))
        return r.get_json()

    bagong = db.session.scalar(select(Township.id).where(Township.name == "巴公镇"))
    site = post("/api/v1/nrmm/sites", {"name": "工地-COUNTYA", "kind": "construction", "township_id": bagong})["id"]
    assert post("/api/v1/nrmm/sites", {"name": "工地-B", "kind": "construction"}, gaoping["environment"])
    machine = post(
        "/api/v1/nrmm/machines",
        {
            "pin": "PIN-COUNTYA",
            "machine_type": "excavator",
            "emission_stage": 2,
            "rated_power_kw": 75.0,
            "site_id": site,
            "registered_on": "2019-10-01",
        },
    )["id"]
    plan = post("/api/v1/nrmm/sampling-plans", {"month": "2019-11", "seed": 3, "share": 1.0})["id"]
    officers = [{"name": "李执法", "certificate_no": "14050101"}, {"name": "王执法", "certificate_no": "14050102"}]
    check = post(
        "/api/v1/nrmm/spot-checks",
        {
            "machine_id": machine,
            "checked_at": "2019-11-05T10:00:00+08:00",
            "k_readings": [2.5, 2.5, 2.5],
            "enforcement": True,
            "officers": officers,
        },
    )["id"]
    # The spot check's record sheet (#30): a notice of 泽州县's environment unit.
    printed = client.get(f"/api/v1/nrmm/spot-checks/{check}/record.pdf", headers=env)
    assert printed.status_code == 200, printed.get_data(as_text=True)[:300]
    truck = {"plate_color": "yellow", "vehicle_type": "heavy_truck", "fuel": "diesel", "emission_standard": 3}
    scrapped = post(
        "/api/v1/vehicles", {**truck, "plate": "晋E5A001", "township": "巴公镇", "registration_date": "2008-05-01"}
    )["id"]
    post("/api/v1/vehicles", {**truck, "plate": "晋E5A002", "township": "巴公镇"})
    entry = post("/api/v1/blacklist", {"plate": "晋E5A002", "plate_color": "yellow", "reason": "群众举报冒黑烟"})
    post("/api/v1/phaseout/quotas", {"period": "2019-2020", "quotas": [{"township": "bagong", "quota": 5}]}, transport)
    post(
        "/api/v1/phaseout/actions",
        {"kind": "scrapped", "action_date": "2019-10-15", "vehicle_id": scrapped, "certificate_no": "1405250001"},
        transport,
    )
    sightings.check_seen_again(
        [(scrapped, datetime(2019, 11, 5, 9, 0, tzinfo=SHANGHAI), "remote_sensing", "JC-RS-09")], actor=system
    )
    transaction.commit()
    records = {
        "token_id": their_token,
        "site_id": site,
        "machine_id": machine,
        "plan_id": plan,
        "item_id": db.session.scalar(select(PlanItem.id).where(PlanItem.plan_id == plan)),
        "check_id": check,
        "notice_id": int(printed.headers["X-Notice-Id"]),
        "case_id": db.session.scalar(select(Case.id).where(Case.entry_id == entry["id"])),
        "alert_id": db.session.scalar(select(SeenAgainAlert.id).where(SeenAgainAlert.vehicle_id == scrapped)),
        "entry_id": entry["id"],
        "county_id": db.session.scalar(select(Township.county_id).where(Township.id == bagong)),
        "townships": set(
            db.session.scalars(
                select(Township.id).where(
                    Township.county_id == select(Township.county_id).where(Township.id == bagong).scalar_subquery()
                )
            )
        ),
    }
    assert all(v is not None for v in records.values()), records
    return records, gaoping, city, env


def _logged_in(app, accounts):
    """A page client per account (username, department, county), logged in."""
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    password = "county-isolation-2019"
    for username, dept, county in accounts:
        services.create_user(
            UserIn(
                username=username,
                password=password,
                department=Department(dept),
                county=county,
                township="米山镇" if dept == "township" else None,
                station="GP-RS-01" if dept == "station" else None,
            ),
            actor=SYSTEM,
        )
    transaction.commit()
    clients = {}
    for username, *_ in accounts:
        person = app.test_client()
        assert person.post("/login", data={"username": username, "password": password}).status_code == 302
        clients[username] = person
    return clients


def _county_a_rows(data, records, per_county):
    """What of 泽州县's per-county records `data` (walked recursively) shows."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            number = isinstance(value, int) and not isinstance(value, bool)
            ours = number and key == "county_id" and value == records["county_id"]
            if per_county and number and key == "township_id":
                ours = value in records["townships"]
            if per_county and number and key in ("site_id", "machine_id"):
                ours = value == records[key]
            if ours:
                found.append((key, value))
            else:
                found.extend(_county_a_rows(value, records, per_county))
    elif isinstance(data, list):
        for item in data:
            found.extend(_county_a_rows(item, records, per_county))
    return found


@pytest.mark.slow
def test_every_list_and_lookup_stays_in_the_callers_county(app, client, two_counties):
    records, gaoping, city, _env = two_counties
    problems, city_saw = [], set()
    for rule, path in _probe_paths(app):
        per_county = rule.startswith(PER_COUNTY_ROUTES)
        for who, headers in [*((f"gaoping-{d}", h) for d, h in gaoping.items()), *city.items()]:
            r = client.get(path, headers=headers)
            if r.status_code >= 500:
                problems.append((path, who, r.status_code))
                continue
            if r.status_code != 200 or not (r.is_json or r.mimetype.startswith("text/")):
                continue
            text = r.get_data(as_text=True)
            if not who.startswith("gaoping-"):
                city_saw.update(m for m in COUNTY_A_MARKERS if m in text and per_county)
                if r.is_json and _county_a_rows(r.get_json(), records, per_county):
                    city_saw.add(f"rows:{rule}")
                continue
            leaked = [m for m in COUNTY_A_MARKERS if per_county and m in text]
            leaked += _county_a_rows(r.get_json(), records, per_county) if r.is_json else []
            if leaked:
                problems.append((path, who, "泽州县's per-county rows", leaked))
    # The pages of the per-county domains too, for people logged in (pages admit page sessions only).
    people = _logged_in(
        app,
        [(f"gaoping-{d}", d, GAOPING) for d in sorted(ALL)]
        + [("city-environment", "environment", None), ("city-admin", "admin", None)],
    )
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PER_COUNTY_PAGES) or "GET" not in (rule.methods or ()):
            continue
        paths = [rule.rule]
        if rule.arguments:
            (arg,) = rule.arguments
            paths = [rule.rule.replace(f"<int:{arg}>", str(records.get(arg, 1)))]
        for path in paths:
            for who, person in people.items():
                r = person.get(path)
                if r.status_code >= 500:
                    problems.append((path, who, r.status_code))
                elif r.status_code == 200 and r.mimetype.startswith("text/"):  # not the chart's PNG
                    shown = {m for m in COUNTY_A_MARKERS if m in r.get_data(as_text=True)}
                    if who.startswith("gaoping-") and shown:
                        problems.append((path, who, "泽州县's records on a page", shown))
                    elif not who.startswith("gaoping-"):
                        city_saw.update(f"page:{m}" for m in shown)
    assert not problems, problems
    # Not vacuous: the city level sees each of 泽州县's records on the per-county routes and pages.
    assert set(COUNTY_A_MARKERS) <= city_saw, city_saw
    assert {"page:PIN-COUNTYA", "page:晋E5A002"} <= city_saw, city_saw
    for route in ("/api/v1/cases", "/api/v1/nrmm/sites", "/api/v1/nrmm/spot-checks", "/api/v1/phaseout/quotas"):
        assert f"rows:{route}" in city_saw, (route, sorted(city_saw))


def test_the_registry_blacklist_hotlist_and_feed_are_city_wide(app, client, two_counties):
    """A truck listed in 泽州县 is matched, listed and stopped in 高平市 too."""
    _records, gaoping, _city, _env = two_counties
    env, police = gaoping["environment"], gaoping["police"]
    plates = [v["plate"] for v in client.get("/api/v1/vehicles?plate=晋E5A002", headers=env).get_json()["results"]]
    assert plates == ["晋E5A002"]
    listed = client.get("/api/v1/blacklist", headers=env).get_json()["results"]
    assert "晋E5A002" in {e["plate"] for e in listed}
    hit = client.get("/api/v1/hotlist/check?plate=晋E5A002&plate_color=yellow&reason=卡口", headers=police)
    assert hit.status_code == 200 and hit.get_json()["entry"] is not None, hit.get_json()
    feed = client.get("/api/v1/changes", headers=env).get_json()
    assert "晋E5A002" in str(feed)
    # ... but its case is 泽州县's: 高平市 does not see it.
    assert client.get("/api/v1/cases", headers=env).get_json()["results"] == []


def _example_body(app, rule):
    view = app.view_functions[rule.endpoint]
    return (getattr(view, "openapi", {}) or {}).get("examples", {}).get("request", {})


def test_every_action_on_another_countys_record_is_not_found(app, client, two_counties):
    """Each write that names a per-county record by id, by every department allowed to call it, as a
    高平市 caller on 泽州县's record: 404 (as for a missing record), and the record is unchanged."""
    from vehicle_enforce.auth.models import ApiToken
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm.models import PlanItem
    from vehicle_enforce.phaseout.models import SeenAgainAlert

    records, gaoping, _city, _env = two_counties
    unclassified, problems, probed = [], [], 0
    for method, rule in api_routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE") or not rule.arguments:
            continue
        kind = ACTION_COUNTY.get((method, rule.rule))
        if kind is None:
            unclassified.append((method, rule.rule))
            continue
        if kind != "county":
            continue
        (arg,) = rule.arguments
        path = rule.rule.replace(f"<int:{arg}>", str(records[arg]))
        allowed = MATRIX[(method, rule.rule)]
        for dept, headers in gaoping.items():
            # A station is on no county axis: it records its work on any truck of the city (auth/scope.py).
            if dept == "station" or (dept != "admin" and dept not in allowed):
                continue
            r = client.open(path, method=method, json=_example_body(app, rule), headers=headers)
            probed += 1
            if r.status_code != 404:
                problems.append((path, dept, r.status_code, r.get_data(as_text=True)[:200]))
    assert not unclassified, f"write routes with an id and no county class in ACTION_COUNTY: {unclassified}"
    assert not problems, problems
    assert probed >= 10, probed
    db.session.expire_all()
    assert db.session.get(ApiToken, records["token_id"]).revoked_at is None
    assert db.session.get(PlanItem, records["item_id"]).status == "checked"  # by the spot check, not "not_found"
    assert db.session.get(Case, records["case_id"]).state == "detected"
    assert db.session.get(SeenAgainAlert, records["alert_id"]).state == "open"
    from vehicle_enforce.blacklist.models import BlacklistEntry

    assert db.session.get(BlacklistEntry, records["entry_id"]).status == "active"


def test_writes_naming_another_countys_records_are_refused(app, client, two_counties):
    """Writes whose body names a per-county record (a site, a machine, a township, a vehicle to phase out)."""
    records, gaoping, _city, _env = two_counties
    env, transport = gaoping["environment"], gaoping["transport"]
    refused = [
        ("/api/v1/nrmm/sites", {"name": "工地-X", "kind": "other", "township_id": min(records["townships"])}, env),
        (
            "/api/v1/nrmm/machines",
            {
                "pin": "PIN-X",
                "machine_type": "loader",
                "emission_stage": 3,
                "rated_power_kw": 55.0,
                "site_id": records["site_id"],
            },
            env,
        ),
        (
            "/api/v1/nrmm/spot-checks",
            {"machine_id": records["machine_id"], "checked_at": "2019-11-06T10:00:00+08:00", "k_readings": [0.1] * 3},
            env,
        ),
        ("/api/v1/phaseout/quotas", {"period": "2019-2020", "quotas": [{"township": "bagong", "quota": 1}]}, transport),
        (
            "/api/v1/evidence-withdrawals",
            {
                "station": "JC-RS-09",
                "since": "2019-11-01T00:00:00+08:00",
                "until": "2019-11-30T00:00:00+08:00",
                "reason": "设备校准失效",
            },
            env,
        ),
        (
            "/api/v1/phaseout/actions",
            {
                "kind": "scrapped",
                "action_date": "2019-10-16",
                "plate": "晋E5A002",
                "plate_color": "yellow",
                "certificate_no": "1",
            },
            transport,
        ),
    ]
    for url, body, headers in refused:
        r = client.post(url, json=body, headers=headers)
        assert r.status_code in (404, 422), (url, r.status_code, r.get_data(as_text=True))
    # 高平市's own plan draws only 高平市's machines (none): 泽州县's machine is not in it.
    plan = client.post("/api/v1/nrmm/sampling-plans", json={"month": "2019-11", "seed": 3, "share": 1.0}, headers=env)
    assert plan.status_code == 201, plan.get_data(as_text=True)
    assert plan.get_json()["population"] == 0 and plan.get_json()["items"] == []


def test_a_neighbouring_countys_truck_is_matched_exactly_not_to_a_local_look_alike(app, client, two_counties):
    """The registry is the city's: 高平市's truck measured at 泽州县's station is that truck (exact match),
    not 泽州县's truck whose plate differs by one confusable character (晋E5B128 vs 晋E5B123)."""
    _records, gaoping, city, env = two_counties
    truck = {"plate_color": "yellow", "vehicle_type": "heavy_truck", "fuel": "diesel", "emission_standard": 3}
    theirs = client.post(
        "/api/v1/vehicles", json={**truck, "plate": "晋E5B123", "township": "米山镇"}, headers=gaoping["environment"]
    )
    ours = client.post("/api/v1/vehicles", json={**truck, "plate": "晋E5B128", "township": "巴公镇"}, headers=env)
    assert theirs.status_code == ours.status_code == 201, (theirs.get_json(), ours.get_json())
    posted = client.post(
        "/api/v1/remote-sensing/passes",
        json=pass_body("RS-NEIGHBOUR", "2019-11-02T09:00:00+08:00", station="JC-RS-09", plate="晋E5B123"),
        headers=city["environment"],
    )
    assert posted.status_code in (200, 201), posted.get_data(as_text=True)
    rows = client.get("/api/v1/remote-sensing/passes", headers=env).get_json()["results"]
    (stored,) = [r for r in rows if r["record_id"] == "RS-NEIGHBOUR"]
    assert stored["vehicle_id"] == theirs.get_json()["id"], stored
    assert stored["match_decision"] == "exact", stored


# --- County reports (#29): the city level sees every county, a county its own -------------------------------


def test_nrmm_progress_per_county(app, client, two_counties):
    _records, gaoping, city, _env = two_counties
    by_city = client.get("/api/v1/nrmm/progress?month=2019-11", headers=city["environment"]).get_json()
    rows = {r["county_code"]: r for r in by_city["counties"]}
    assert {ZEZHOU, GAOPING} <= set(rows), rows
    zezhou = rows[ZEZHOU]
    assert (zezhou["sites"], zezhou["machines"], zezhou["planned"], zezhou["checked"]) == (1, 1, 1, 1), zezhou
    assert (zezhou["spot_checks"], zezhou["violations"], zezhou["checked_share"]) == (1, 1, 1.0), zezhou
    assert (rows[GAOPING]["sites"], rows[GAOPING]["machines"]) == (1, 0)
    own = client.get("/api/v1/nrmm/progress?month=2019-11", headers=gaoping["environment"]).get_json()
    assert [r["county_code"] for r in own["counties"]] == [GAOPING], own


def test_phaseout_progress_per_county(app, client, two_counties):
    _records, gaoping, city, _env = two_counties
    query = "?as_of=2019-11-30&period=2019-2020"
    report = client.get("/api/v1/phaseout/progress" + query, headers=city["transport"]).get_json()
    rows = {r["county_code"]: r for r in report["counties"]}
    assert (rows[ZEZHOU]["done"], rows[ZEZHOU]["quota"]) == (1, 5), rows
    assert (rows[GAOPING]["done"], rows[GAOPING]["quota"]) == (0, 0), rows
    assert report["county"]["done"] == 1  # the city's total
    own = client.get("/api/v1/phaseout/progress" + query, headers=gaoping["transport"]).get_json()
    assert [r["county_code"] for r in own["counties"]] == [GAOPING]
    assert {t["township"] for t in own["townships"]} == {"米山镇"}
    assert own["county"]["done"] == 0 and own["county"]["quota"] == 0


def test_transmission_rate_per_county(app, client, two_counties):
    from datetime import date

    from vehicle_enforce.core import transaction
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    _records, gaoping, city, _env = two_counties
    day = date(2019, 11, 5)
    occurred = datetime(2019, 11, 5, 9, 0, tzinfo=UTC)
    for n, (station, status) in enumerate(
        [("JC-RS-09", "acknowledged"), ("JC-RS-09", "pending"), ("GP-RS-01", "acknowledged")]
    ):
        db.session.add(
            ExportRecord(
                target="national",
                kind="remote_sensing",
                object_id=str(n),
                station=station,
                idempotency_key=f"k{n}",
                payload={},
                occurred_at=occurred,
                due_day=day,
                status=status,
            )
        )
    transaction.commit()
    query = "/api/v1/exports/status?since=2019-11-01&until=2019-11-30"
    by_city = client.get(query, headers=city["environment"]).get_json()
    rows = {r["county_code"]: (r["due"], r["acknowledged"]) for r in by_city["by_county"] if r["county_code"]}
    assert rows == {ZEZHOU: (2, 1), GAOPING: (1, 1)}, by_city["by_county"]  # and the machinery's, of no station
    own = client.get(query, headers=gaoping["environment"]).get_json()
    assert [(r["county_code"], r["due"]) for r in own["by_county"]] == [(GAOPING, 1)]
    assert own["total"]["due"] == 1 and [s["station"] for s in own["by_station"]] == ["GP-RS-01"]


def test_counties_are_added_by_the_city_level_only(app, client, auth_headers):
    city_admin = auth_headers("admin")
    created = client.post("/api/v1/counties", json={"code": "140522", "name": "阳城县"}, headers=city_admin)
    assert created.status_code == 201, created.get_json()
    again = client.post("/api/v1/counties", json={"code": "140522", "name": "阳城县"}, headers=city_admin)
    assert again.status_code == 409 and "code" in again.get_json()["error"]["fields"]
    bad = client.post("/api/v1/counties", json={"code": "1405", "name": "x"}, headers=city_admin)
    assert bad.status_code == 422 and "code" in bad.get_json()["error"]["fields"]
    from vehicle_enforce.core import transaction

    _issued, county_admin = _county_token("admin", "140522")
    transaction.commit()
    refused = client.post("/api/v1/counties", json={"code": "140521", "name": "沁水县"}, headers=county_admin)
    assert refused.status_code == 403
    listed = client.get("/api/v1/counties", headers=county_admin).get_json()["results"]
    assert {c["code"] for c in listed} == {ZEZHOU, "140522"}
    me = client.get("/api/v1/me", headers=county_admin).get_json()
    assert me["county_id"] == created.get_json()["id"]
    # A county's admin lists and issues its own county's tokens only.
    tokens = client.get("/api/v1/tokens", headers=county_admin).get_json()["results"]
    assert {t["county_id"] for t in tokens} == {created.get_json()["id"]}
    other = client.post(
        "/api/v1/tokens", json={"name": "x", "department": "police", "county": ZEZHOU}, headers=county_admin
    )
    assert other.status_code == 422 and "county" in other.get_json()["error"]["fields"]


def test_a_case_belongs_to_the_county_where_its_evidence_was_measured(app, client, two_counties):
    """The station of the latest evidence decides (the place of the violation); with no station in the
    evidence, the listing account's county, else the county where the vehicle is registered."""
    from sqlalchemy import select

    from vehicle_enforce.auth.models import County
    from vehicle_enforce.blacklist import services as blacklist
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db

    records, _gaoping, city, _env = two_counties
    truck = {"plate_color": "yellow", "vehicle_type": "heavy_truck", "fuel": "diesel", "emission_standard": 3}
    ids = [
        client.post(
            "/api/v1/vehicles", json={**truck, "plate": plate, "township": "巴公镇"}, headers=city["environment"]
        ).get_json()["id"]
        for plate in ("晋E5C001", "晋E5C002")
    ]
    evidence = [
        {"source": "remote_sensing", "station": "JC-RS-09", "measured_at": "2019-11-01T09:00:00+08:00", "text": "a"},
        {"source": "remote_sensing", "station": "GP-RS-01", "measured_at": "2019-11-03T09:00:00+08:00", "text": "b"},
    ]
    at_gaoping = blacklist._create_entry(ids[0], "rule", "remote_sensing_repeat", "x", evidence, "system")
    no_station = blacklist._create_entry(ids[1], "rule", "remote_sensing_repeat", "x", [{"text": "c"}], "system")
    transaction.commit()
    county = dict(db.session.execute(select(County.code, County.id)).all())
    case_county = dict(db.session.execute(select(Case.entry_id, Case.county_id)).all())
    assert case_county[at_gaoping.id] == county[GAOPING]  # measured last in 高平市, registered in 泽州县
    assert case_county[no_station.id] == county[ZEZHOU] == records["county_id"]


def test_a_county_sets_its_townships_quotas_but_not_the_citys_period(app, client, two_counties):
    _records, gaoping, _city, _env = two_counties
    transport = gaoping["transport"]
    own = client.post(
        "/api/v1/phaseout/quotas",
        json={"period": "2019-2020", "quotas": [{"township": "米山镇", "quota": 3}]},
        headers=transport,
    )
    assert own.status_code == 200, own.get_json()
    assert [(q["township"], q["quota"]) for q in own.get_json()["quotas"]] == [("米山镇", 3)]  # its own only
    milestones = [{"due": "2019-12-31", "percent": 10}, {"due": "2020-12-31", "percent": 100}]
    period = client.post(
        "/api/v1/phaseout/quotas", json={"period": "2019-2020", "milestones": milestones}, headers=transport
    )
    assert period.status_code == 403


def test_the_monthly_summary_is_the_callers_county(app, client, two_counties):
    from vehicle_enforce.core.timeutil import local_day, now_utc

    _records, gaoping, city, _env = two_counties
    this_month = local_day(now_utc()).strftime("%Y-%m")

    def figures(headers, month):
        r = client.get(f"/api/v1/reports/monthly.json?month={month}", headers=headers)
        assert r.status_code == 200, r.get_data(as_text=True)
        return r.get_json()

    city_now, own_now = figures(city["environment"], this_month), figures(gaoping["environment"], this_month)
    assert city_now["cases"]["opened"] >= 1 and own_now["cases"]["opened"] == 0
    city_nov, own_nov = figures(city["environment"], "2019-11"), figures(gaoping["environment"], "2019-11")
    assert (city_nov["nrmm"]["planned"], city_nov["nrmm"]["spot_checks"]) == (1, 1), city_nov["nrmm"]
    assert (own_nov["nrmm"]["planned"], own_nov["nrmm"]["spot_checks"]) == (0, 0), own_nov["nrmm"]


def test_the_demo_shows_two_counties_apart(app, runner):
    """`demo load`: 高平市's officer sees 高平市's case only, 泽州县's officer none of it, the city both."""
    from vehicle_enforce.demo import DEMO_PASSWORD

    result = runner.invoke(["demo", "load", "--vehicles", "300"])
    assert result.exit_code == 0, result.output

    def cases(username):
        person = app.test_client()
        assert person.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
        return {c["county_id"] for c in person.get("/api/v1/cases?limit=500").get_json()["results"]}

    gaoping, zezhou, city = cases("gaoping"), cases("huanbao"), cases("shihuanbao")
    assert len(gaoping) == 1 and gaoping.isdisjoint(zezhou) and zezhou, (gaoping, zezhou)
    assert city == gaoping | zezhou


# --- The admin's pages (#31): /ops/admin is the admin department's only -----------------------------------

ADMIN_PAGE_PREFIX = "/ops/admin"


def test_the_admin_pages_admit_the_admin_department_only(app, station_factory):
    """Every /ops/admin route, GET and POST, answers other departments with the 403 page."""
    import re

    station_factory("JC-RD-01", "roadside")
    people = _logged_in_page_users(app, sorted(ALL))
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(ADMIN_PAGE_PREFIX)]
    assert {"/ops/admin/users", "/ops/admin/tokens", "/ops/admin/audit"} <= {r.rule for r in rules}
    problems = []
    for rule in rules:
        path = re.sub(r"<int:\w+>", "999999", rule.rule)  # a missing record: 404 for the admin, 403 for others
        for dept, person in people.items():
            home = person.get("/")
            found = re.search(r"name=\"csrf_token\" value=\"([^\"]+)\"", home.get_data(as_text=True))
            assert found, (dept, home.status_code, home.get_data(as_text=True)[:300])
            csrf = found.group(1)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                r = person.get(path) if method == "GET" else person.post(path, data={"csrf_token": csrf})
                if dept == "admin":
                    if r.status_code == 403 or r.status_code >= 500:
                        problems.append((method, path, dept, r.status_code))
                elif r.status_code != 403 or "无权访问" not in r.get_data(as_text=True):
                    problems.append((method, path, dept, r.status_code))
    assert not problems, problems


def _logged_in_page_users(app, departments):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    password = "admin-pages-2019x"
    for dept in departments:
        services.create_user(
            UserIn(
                username=f"page-{dept}",
                password=password,
                department=Department(dept),
                township="bagong" if dept == "township" else None,
                station="JC-RD-01" if dept == "station" else None,
            ),
            actor=SYSTEM,
        )
    transaction.commit()
    clients = {}
    for dept in departments:
        person = app.test_client()
        assert person.post("/login", data={"username": f"page-{dept}", "password": password}).status_code == 302
        clients[dept] = person
    return clients
