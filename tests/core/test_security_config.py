"""The protections of the configuration that ships, tested as `vehicle-enforce serve` runs them.

No test here sets a protection itself: the served process gets only a database, an instance folder and
VE_ENV; the in-process apps are built by `create_app` with a database and an instance folder only.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import REPO_ROOT, Backend

HEADERS = {
    "Content-Security-Policy": re.compile(r"default-src 'self'.*frame-ancestors 'none'"),
    "X-Frame-Options": re.compile(r"^DENY$"),
    "Referrer-Policy": re.compile(r"^(same-origin|strict-origin|no-referrer|strict-origin-when-cross-origin)$"),
    "X-Content-Type-Options": re.compile(r"^nosniff$"),
}
ADMIN_PASSWORD = "shipped-admin-pass"


def assert_security_headers(headers: Any, where: str) -> None:
    for name, pattern in HEADERS.items():
        value = headers.get(name)
        assert value is not None and pattern.search(value), f"{where}: {name} is {value!r}"
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp, csp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "vehicle_enforce", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        input=None,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`vehicle-enforce serve` (gunicorn, one worker) in production mode on an embedded SQLite database."""
    folder = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VE_")}
    env |= {
        "VE_DATABASE_URL": f"sqlite:///{folder / 'served.sqlite3'}",
        "VE_INSTANCE_PATH": str(folder / "instance"),
        "VE_ENV": "production",
    }
    _cli(env, "db", "upgrade")
    admin_token = _cli(env, "tokens", "create", "--department", "admin", "--name", "served-admin").splitlines()[-1]
    port = _free_port()
    log = open(folder / "serve.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "vehicle_enforce", "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert server.poll() is None, (folder / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not start in 120 s"
            time.sleep(0.5)
        yield base, admin_token
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_served_app_refuses_a_body_over_the_default_limit_with_json_413(served):
    base, token = served
    body = b'{"name": "' + b"x" * (33 * 1024 * 1024) + b'"}'  # the shipped limit is 32 MiB
    r = requests.post(
        f"{base}/api/v1/tokens",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert_security_headers(r.headers, "413 answer")
    # Just under the limit is read (and judged on its content: a too-long name, not its size).
    small = requests.post(
        f"{base}/api/v1/tokens",
        json={"name": "x" * 1000, "department": "police"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert small.status_code == 422


def test_served_app_session_cookie_and_headers_in_production(served):
    base, _ = served
    r = requests.get(f"{base}/login", timeout=10)
    assert r.status_code == 200
    assert_security_headers(r.headers, "login page")
    raw = r.headers["Set-Cookie"]
    cookie = SimpleCookie()
    cookie.load(raw)
    morsel = cookie["session"]
    assert morsel["httponly"] is True, raw
    assert morsel["samesite"] == "Lax", raw
    assert morsel["secure"] is True, raw  # VE_ENV=production
    for path in ("/healthz", "/api/v1/me", "/no-such-page", "/static/app.css", "/static/app.js", "/api/docs"):
        assert_security_headers(requests.get(f"{base}{path}", timeout=10).headers, path)


def test_served_app_checks_csrf_tokens_on_forms(served):
    base, _ = served
    r = requests.post(f"{base}/login", data={"username": "nobody", "password": "whatever-pass"}, timeout=10)
    assert r.status_code == 400


def test_served_app_replaces_an_unsafe_request_id_on_an_audited_write(served):
    base, token = served
    auth = {"Authorization": f"Bearer {token}"}
    for offered in ("a" * 65, "id with spaces", "id\u202e".encode().decode("latin-1"), "../../etc"):
        r = requests.post(
            f"{base}/api/v1/tokens",
            json={"name": "rid", "department": "police"},
            headers={**auth, "X-Request-ID": offered},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        assert r.headers["X-Request-ID"] != offered and re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-ID"])
    kept = "station-7.batch:0042-" + "b" * 40
    r = requests.post(
        f"{base}/api/v1/tokens",
        json={"name": "rid", "department": "police"},
        headers={**auth, "X-Request-ID": kept},
        timeout=10,
    )
    assert r.status_code == 201 and r.headers["X-Request-ID"] == kept


# --- the same configuration in process: create_app with a database and an instance folder only ---


@pytest.fixture
def shipped(backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in [k for k in os.environ if k.startswith("VE_")]:
        monkeypatch.delenv(name)
    with _shipped_app(backend, tmp_path) as app:
        yield app


@contextlib.contextmanager
def _shipped_app(backend: Backend, tmp_path: Path) -> Iterator[Any]:
    from tests.conftest import _empty_pg
    from vehicle_enforce import create_app
    from vehicle_enforce.extensions import db

    tmp_path.mkdir(parents=True, exist_ok=True)
    app = create_app({"DATABASE_URL": backend.url_for_test(tmp_path), "INSTANCE_PATH": str(tmp_path / "inst")})
    with app.app_context():
        from vehicle_enforce.auth import services
        from vehicle_enforce.auth.models import Department
        from vehicle_enforce.auth.schemas import UserIn
        from vehicle_enforce.core import transaction
        from vehicle_enforce.core.actors import SYSTEM

        services.create_user(
            UserIn(username="shipped-admin", password=ADMIN_PASSWORD, department=Department("admin")), actor=SYSTEM
        )
        transaction.commit()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if backend.name == "postgresql":
            _empty_pg(backend.template, backend.seeded_tables)


def csrf_login(client: Any, username: str, password: str) -> str:
    """Log in through the login form as a browser does (token from the form); returns the CSRF token."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    return token


def _rules(app: Any, *, api: bool, method: str) -> list[tuple[str, str]]:
    from werkzeug.routing import IntegerConverter

    found = []
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static":
            continue
        if rule.rule.startswith("/api/") != api:
            continue
        values = {name: 1 if isinstance(conv, IntegerConverter) else "x" for name, conv in rule._converters.items()}
        if values:
            with app.test_request_context():
                found.append((rule.endpoint, app.url_for(rule.endpoint, **values)))
        else:
            found.append((rule.endpoint, rule.rule))
    return found


def _audit_count() -> int:
    from sqlalchemy import func, select

    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    db.session.remove()
    return int(count or 0)


def test_shipped_defaults_win_over_flask_and_overrides_win_over_both(shipped, monkeypatch, tmp_path):
    from vehicle_enforce import create_app
    from vehicle_enforce.config import DEFAULTS

    for key in ("MAX_CONTENT_LENGTH", "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_HTTPONLY"):
        assert shipped.config[key] == DEFAULTS[key], key
    assert shipped.config["MAX_CONTENT_LENGTH"] == 32 * 1024 * 1024
    assert shipped.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.setenv("VE_MAX_CONTENT_LENGTH", "1000")
    from_env = create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path / "a")})
    assert from_env.config["MAX_CONTENT_LENGTH"] == 1000
    override = create_app({"DATABASE_URL": "sqlite://", "INSTANCE_PATH": str(tmp_path / "b"), "MAX_CONTENT_LENGTH": 7})
    assert override.config["MAX_CONTENT_LENGTH"] == 7


def test_every_page_form_refuses_a_post_without_csrf_token_and_stores_nothing(shipped):
    client = shipped.test_client()
    with shipped.app_context():
        csrf_login(client, "shipped-admin", ADMIN_PASSWORD)
        before = _audit_count()
        routes = _rules(shipped, api=False, method="POST")
        assert len(routes) >= 10, routes
        for endpoint, url in routes:
            r = client.post(url, data={"reason": "x"})
            assert r.status_code == 400, (endpoint, url, r.status_code)
        assert _audit_count() == before


def test_every_unsafe_api_call_refuses_the_page_session_cookie(shipped):
    client = shipped.test_client()
    with shipped.app_context():
        csrf_login(client, "shipped-admin", ADMIN_PASSWORD)
        before = _audit_count()
        assert client.get("/api/v1/me").status_code == 200  # reading the API with a page session is fine
        checked = 0
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            for endpoint, url in _rules(shipped, api=True, method=method):
                r = client.open(url, method=method, json={})
                assert r.status_code == 401, (method, endpoint, url, r.status_code)
                assert "Bearer" in r.get_json()["error"]["message"], (endpoint, r.get_json())
                checked += 1
        assert checked >= 20
        r = client.get("/api/v1/hotlist/check?plate=晋E12345&plate_color=yellow&reason=查验")
        assert r.status_code == 401, "a recorded hotlist lookup must not run on a page session"
        assert _audit_count() == before


#: Query strings that make a GET do its full work (a recorded lookup writes only with a complete query).
FULL_QUERIES = {"hotlist_api.check_one": "plate=晋E12345&plate_color=yellow&reason=查验"}


def _row_counts() -> dict[str, int]:
    from sqlalchemy import func, select

    from vehicle_enforce.core.db import Base
    from vehicle_enforce.extensions import db

    counts = {
        t.name: int(db.session.scalar(select(func.count()).select_from(t)) or 0) for t in Base.metadata.sorted_tables
    }
    db.session.remove()
    return counts


def test_no_api_read_writes_on_a_page_session(shipped):
    """A GET that writes (a recorded lookup) must be bearer-only, or a cross-site page could make an
    officer's browser run it. Walk every API GET with a logged-in page session: nothing may be written.
    Checked by behaviour (row counts), not by reading the view's source: views do not commit themselves."""
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    admin = shipped.test_client()
    with shipped.app_context():
        csrf_login(admin, "shipped-admin", ADMIN_PASSWORD)
        routes = _rules(shipped, api=True, method="GET")
        before = _row_counts()
        for endpoint, url in routes:
            query = FULL_QUERIES.get(endpoint)
            admin.get(f"{url}?{query}" if query else url)
        assert _row_counts() == before
        # The walk can fail: the same full lookups with a bearer token do write.
        issued = services.create_token(TokenIn(name="shipped-police", department=Department("police")), actor=SYSTEM)
        transaction.commit()
        bearer = {"Authorization": f"Bearer {issued.secret}"}
        before = _row_counts()
        for endpoint, query in FULL_QUERIES.items():
            url = dict(routes)[endpoint]
            assert shipped.test_client().get(f"{url}?{query}", headers=bearer).status_code == 200, endpoint
        assert _row_counts() != before


def test_every_get_route_answers_with_security_headers(shipped):
    anonymous = shipped.test_client()
    admin = shipped.test_client()
    with shipped.app_context():
        csrf_login(admin, "shipped-admin", ADMIN_PASSWORD)
        routes = _rules(shipped, api=False, method="GET") + _rules(shipped, api=True, method="GET")
        assert len(routes) >= 40
        for endpoint, url in routes:
            for who, client in (("anonymous", anonymous), ("admin", admin)):
                r = client.get(url)
                assert r.status_code < 500, (endpoint, who, r.status_code)
                assert_security_headers(r.headers, f"{endpoint} as {who}")


def test_session_cookie_secure_follows_https_and_trusted_proxies_only(backend, tmp_path, monkeypatch):
    for name in [k for k in os.environ if k.startswith("VE_")]:
        monkeypatch.delenv(name)

    def cookie_of(app: Any, **kwargs: Any) -> str:
        return app.test_client().get("/login", **kwargs).headers["Set-Cookie"]

    with _shipped_app(backend, tmp_path / "plain") as app:
        assert "Secure" not in cookie_of(app)  # plain HTTP in development: the cookie must still work
        assert "Secure" in cookie_of(app, base_url="https://ve.example")
        # X-Forwarded-Proto is believed only when VE_PROXY_COUNT says a proxy is there.
        assert "Secure" not in cookie_of(app, headers={"X-Forwarded-Proto": "https"})
    monkeypatch.setenv("VE_PROXY_COUNT", "1")
    with _shipped_app(backend, tmp_path / "proxied") as proxied:
        assert "Secure" in cookie_of(proxied, headers={"X-Forwarded-Proto": "https"})
    monkeypatch.delenv("VE_PROXY_COUNT")
    monkeypatch.setenv("VE_ENV", "production")
    with _shipped_app(backend, tmp_path / "production") as production:
        assert "Secure" in cookie_of(production)
