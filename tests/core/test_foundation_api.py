"""The API's contract: health, OpenAPI, authentication, error shape and request limits."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert response.headers["X-Request-ID"]


@pytest.mark.commits
def test_healthz_reports_an_unreachable_database(app, client):
    from vehicle_enforce.extensions import db

    db.engine.dispose()
    db.engines[None] = __import__("sqlalchemy").create_engine("sqlite:////nonexistent-dir/x.sqlite3")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_openapi_needs_no_token_and_lists_api_routes(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    api_rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")}
    documented = set(spec["paths"])
    assert len(documented) >= len(api_rules)
    assert spec["paths"]["/api/v1/tokens"]["post"]["x-departments"] == ["admin"]


def test_docs_page_is_served_locally(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "接口文档" in page
    assert "http://" not in page.replace("http://localhost", "") and "https://" not in page


def test_missing_and_bad_tokens_are_401(client):
    assert error_of(client.get("/api/v1/me"))["code"] == "unauthorized"
    r = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer ve_not-a-token"})
    assert r.status_code == 401 and error_of(r)["code"] == "unauthorized"


def test_revoked_token_is_refused(client, auth_headers, app):
    from vehicle_enforce.auth import services
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    headers = auth_headers("police")
    assert client.get("/api/v1/me", headers=headers).get_json()["department"] == "police"
    token = services.authenticate_token(headers["Authorization"].split()[1])
    services.revoke_token(token.id, actor=SYSTEM)
    transaction.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_department_cannot_act_as_another(client, auth_headers):
    for department in ("police", "environment", "transport", "housing", "township"):
        r = client.post("/api/v1/tokens", json={"name": "x", "department": "admin"}, headers=auth_headers(department))
        assert r.status_code == 403, department
        assert error_of(r)["code"] == "forbidden"
    r = client.get("/api/v1/tokens", headers=auth_headers("station", station="JC-RS-01"))
    assert r.status_code == 403


def test_authentication_is_checked_before_validation(client):
    r = client.post("/api/v1/tokens", data="{not json", content_type="application/json")
    assert r.status_code == 401


def _token_count():
    from vehicle_enforce.auth.models import ApiToken
    from vehicle_enforce.extensions import db

    return db.session.scalar(select(func.count()).select_from(ApiToken))


def test_bad_bodies_get_their_4xx_and_write_nothing(client, auth_headers, app):
    admin = auth_headers("admin")
    before = _token_count()

    r = client.post("/api/v1/tokens", data="{not json", content_type="application/json", headers=admin)
    assert r.status_code == 400 and error_of(r)["fields"] == {"body": "malformed JSON"}

    r = client.post("/api/v1/tokens", data="name=x", content_type="application/x-www-form-urlencoded", headers=admin)
    assert r.status_code == 400

    r = client.post("/api/v1/tokens", json=["a list"], headers=admin)
    assert r.status_code == 422

    r = client.post("/api/v1/tokens", json={"name": ["x"], "department": "police"}, headers=admin)
    assert r.status_code == 422 and "name" in error_of(r)["fields"]

    r = client.post("/api/v1/tokens", json={"name": "x", "department": "police", "colour": "red"}, headers=admin)
    assert r.status_code == 422 and error_of(r)["fields"]["colour"] == "unknown field"

    r = client.post("/api/v1/tokens", json={"name": "x", "department": "pirates"}, headers=admin)
    assert r.status_code == 422 and "department" in error_of(r)["fields"]

    r = client.post("/api/v1/tokens", json={"department": "police"}, headers=admin)
    assert r.status_code == 422 and error_of(r)["fields"]["name"] == "field required"

    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = client.post(
        "/api/v1/tokens",
        data=json.dumps({"name": "x" * 5000, "department": "police"}),
        content_type="application/json",
        headers=admin,
    )
    assert r.status_code == 413 and error_of(r)["code"] == "payload_too_large"

    assert _token_count() == before


def test_admin_creates_and_revokes_tokens_through_the_api(client, auth_headers):
    admin = auth_headers("admin")
    r = client.post("/api/v1/tokens", json={"name": "gateway", "department": "police"}, headers=admin)
    assert r.status_code == 201
    secret = r.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert me["department"] == "police" and me["name"] == "gateway"
    listed = client.get("/api/v1/tokens", headers=admin).get_json()["results"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    token_id = r.get_json()["id"]
    assert client.post(f"/api/v1/tokens/{token_id}/revoke", headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_station_token_must_name_a_known_station(client, auth_headers):
    r = client.post("/api/v1/tokens", json={"name": "s", "department": "station"}, headers=auth_headers("admin"))
    assert r.status_code == 422 and "station" in error_of(r)["fields"]
    r = client.post(
        "/api/v1/tokens", json={"name": "s", "department": "station", "station": "NOPE"}, headers=auth_headers("admin")
    )
    assert r.status_code == 422 and error_of(r)["fields"]["station"] == "unknown station"


def test_unknown_route_and_method_are_json(client):
    assert error_of(client.get("/api/v1/nothing-here"))["code"] == "not_found"
    assert client.delete("/api/v1/openapi.json").status_code == 405


def test_responses_say_how_long_the_app_took(client):
    import re

    r = client.get("/healthz")
    match = re.fullmatch(r"app;dur=(\d+\.\d)", r.headers["Server-Timing"])
    assert match is not None and float(match.group(1)) >= 0.0
