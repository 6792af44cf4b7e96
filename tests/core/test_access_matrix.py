"""Access-control matrix generated from the route table.

Every API route × every department (plus no token and a revoked token) → the expected status. The
MATRIX below states the policy a second time, independent of the decorators: a route added without an
entry here, or whose decorator disagrees with its entry, fails the test.
"""

from __future__ import annotations

import pytest

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
    # Phase-out (issue 7): the transport bureau runs it; environment and townships (their own) read it.
    # Heavy-pollution alerts (issue 11)
    ("GET", "/api/v1/alerts/active"): ANY,
    ("POST", "/api/v1/alerts"): frozenset({"environment"}),
    ("POST", "/api/v1/alerts/<int:alert_id>/actions"): frozenset({"environment"}),
    ("POST", "/api/v1/alerts/enterprise-grades"): frozenset({"environment"}),
    ("POST", "/api/v1/alerts/gate-records"): frozenset({"environment"}),
    ("GET", "/api/v1/alerts/<int:alert_id>/report.<fmt>"): frozenset({"environment", "transport", "police"}),
    # Non-road machinery (issue 8)
    ("GET", "/api/v1/nrmm/machines"): frozenset({"environment", "housing", "township"}),
    ("POST", "/api/v1/nrmm/machines"): frozenset({"environment", "housing", "township"}),
    ("GET", "/api/v1/nrmm/machines/export"): frozenset({"environment", "housing"}),
    ("GET", "/api/v1/nrmm/sites"): frozenset({"environment", "housing", "township"}),
    ("POST", "/api/v1/nrmm/sites"): frozenset({"environment", "housing"}),
    ("GET", "/api/v1/nrmm/sampling-plans"): frozenset({"environment", "housing", "township"}),
    ("POST", "/api/v1/nrmm/sampling-plans"): frozenset({"environment"}),
    ("GET", "/api/v1/nrmm/sampling-plans/<month>"): frozenset({"environment", "housing", "township"}),
    ("POST", "/api/v1/nrmm/sampling-plans/items/<int:item_id>/not-found"): frozenset(
        {"environment", "housing", "township"}
    ),
    ("GET", "/api/v1/nrmm/spot-checks"): frozenset({"environment", "housing", "township"}),
    ("POST", "/api/v1/nrmm/spot-checks"): frozenset({"environment", "housing", "township"}),
    # Exports (issue 9)
    ("GET", "/api/v1/exports/status"): frozenset({"environment", "transport"}),
    ("GET", "/api/v1/exports/missing"): frozenset({"environment", "transport"}),
    ("GET", "/api/v1/exports/failed"): frozenset({"environment", "transport"}),
    ("POST", "/api/v1/exports/<int:record_id>/resend"): frozenset({"environment"}),
    # Blacklist, cases and hotlist (issue 5)
    ("GET", "/api/v1/blacklist"): frozenset({"environment", "police", "transport"}),
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
}


def api_routes(app):
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api/v1/") or rule.rule == "/healthz"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, rule


def concrete(rule) -> str:
    path = rule.rule
    for name in rule.arguments:
        converter = rule._converters[name]
        # An id no probe token has: probing /tokens/1/revoke must not revoke the admin's own token.
        value = "999999" if type(converter).__name__ == "IntegerConverter" else "x"
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
    from vehicle_enforce.core import transaction

    # The revoked token is made first so it gets id 1: probing POST /tokens/1/revoke then revokes it
    # again instead of revoking the admin token and failing every route probed after it.
    revoked = services.create_token("revoked", "admin")
    services.revoke_token(revoked.token.id)
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
