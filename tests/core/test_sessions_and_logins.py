"""Logins, page sessions and accounts: rate limit, lockout, audit, session end, redirects, passwords, tokens.

The form logic runs with the test app in its shipped configuration: CSRF protection on, the test
client posting the token a page gives (`tests/page_client.py`); nothing here switches a protection off.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from tests.page_client import PageClient

PASSWORD = "right-pass-2026"


@pytest.fixture
def user(app: Any) -> str:
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    services.create_user(UserIn(username="officer", password=PASSWORD, department=Department("police")), actor=SYSTEM)
    transaction.commit()
    return "officer"


def _login(client: Any, username: str = "officer", password: str = PASSWORD, **kwargs: Any) -> Any:
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def _audit(action: str) -> list[Any]:
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- logins: rate limit per address, lockout per account, audit ---


def test_failed_logins_and_logouts_are_audited(client, user):
    assert _login(client, password="wrong-password").status_code == 401
    assert _login(client, username="nobody-here").status_code == 401
    failed = _audit("user.login_failed")
    assert [(e.changes["username"], e.changes["reason"]) for e in failed] == [
        ("officer", "bad_credentials"),
        ("nobody-here", "bad_credentials"),
    ]
    assert failed[0].object_id is not None and failed[1].object_id is None
    assert _login(client).status_code == 302
    assert client.post("/logout").status_code == 302
    [logout] = _audit("user.logout")
    assert logout.actor_name == "officer" and logout.actor_kind == "user"


@pytest.mark.parametrize("username", ["x" * 10_000, "offi\tcer"])
def test_careless_usernames_are_refused_cleanly_and_audited_printable(client, user, username):
    assert _login(client, username=username).status_code == 401
    [entry] = _audit("user.login_failed")
    assert entry.changes["username"].isprintable() and len(entry.changes["username"]) <= 64


@pytest.mark.parametrize("username", ["a\x00b", "\u202eofficer"])
def test_hostile_characters_in_a_username_are_refused_before_any_login(client, user, username):
    """NUL and bidi marks are refused by the app-wide input check (core.inputs) as for every form: 422,
    no session, no try counted against the account."""
    from vehicle_enforce.auth.models import User
    from vehicle_enforce.extensions import db

    r = _login(client, username=username)
    assert r.status_code == 422 and "Set-Cookie" not in r.headers
    assert _audit("user.login_failed") == []
    assert db.session.scalar(select(User.failed_logins).where(User.username == "officer")) == 0


def test_login_limit_per_address_counts_failures_only_and_answers_in_chinese(app, client, user):
    from vehicle_enforce.auth.models import User
    from vehicle_enforce.extensions import db

    limit = int(app.config["LOGIN_FAILURE_LIMIT"].split()[0])
    for _ in range(limit + 5):  # successes from a shared gateway never use up the limit
        assert _login(client).status_code == 302
    for i in range(limit):
        assert _login(client, username=f"guess-{i}").status_code == 401
    refused = _login(client, headers={"Accept": "text/html"})  # even the right password: address paused
    assert refused.status_code == 429
    assert "此地址登录失败次数过多" in refused.get_data(as_text=True)
    script = {"Accept": "application/json"}  # a client that asks for JSON gets it (no Accept: the page)
    assert "登录失败次数过多" in _login(client, headers=script).get_json()["error"]["message"]
    # Without VE_PROXY_COUNT a client cannot pick its address through X-Forwarded-For.
    spoofed = _login(client, headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 429
    # Another address is not affected.
    other = _login(client, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 302
    assert db.session.scalar(select(User.failed_logins).where(User.username == "officer")) == 0


def test_trusted_proxy_gives_each_client_its_own_login_limit(app, app_config, monkeypatch, backend):
    from vehicle_enforce import create_app
    from vehicle_enforce.extensions import db

    monkeypatch.setenv("VE_PROXY_COUNT", "1")
    app = create_app(app_config)
    app.test_client_class = PageClient
    with app.app_context():
        try:
            client = app.test_client()
            limit = int(app.config["LOGIN_FAILURE_LIMIT"].split()[0])
            for i in range(limit):
                r = _login(client, username=f"x{i}", headers={"X-Forwarded-For": "198.51.100.1"})
                assert r.status_code == 401
            assert _login(client, username="y", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
            assert _login(client, username="y", headers={"X-Forwarded-For": "198.51.100.2"}).status_code == 401
        finally:
            db.session.remove()
            db.engine.dispose()


def test_login_limit_in_redis_is_shared_by_workers(app, app_config, monkeypatch, backend):
    """VE_RATELIMIT_STORAGE_URL=redis://...: two app instances (two gunicorn workers) count together."""
    import uuid

    import redis

    from vehicle_enforce import create_app
    from vehicle_enforce.extensions import db, limiter

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as exc:
        from tests.conftest import service_unavailable

        service_unavailable("Redis at 127.0.0.1:6379", exc)
    prefix = f"ve-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("VE_RATELIMIT_STORAGE_URL", url)
    monkeypatch.setattr(limiter, "_key_prefix", prefix)
    first, second = create_app(app_config), create_app(app_config)
    first.test_client_class = second.test_client_class = PageClient
    assert first.config["RATELIMIT_STORAGE_URI"] == url
    try:
        limit = int(first.config["LOGIN_FAILURE_LIMIT"].split()[0])
        for i in range(limit):
            worker = first if i % 2 else second
            with worker.app_context():
                assert _login(worker.test_client(), username=f"r{i}").status_code == 401
                db.session.remove()
        with first.app_context():
            assert _login(first.test_client(), username="r-last").status_code == 429
            db.session.remove()
            db.engine.dispose()
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


@pytest.mark.commits
def test_parallel_wrong_passwords_get_no_more_tries_than_the_lockout_allows(app, user):
    """40 wrong passwords at once: the account is locked after MAX_FAILED_LOGINS checked passwords."""
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import User
    from vehicle_enforce.extensions import db

    statuses: list[int] = []
    barrier = threading.Barrier(40)

    def attempt(i: int) -> None:
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            # each from its own address, so only the account lockout limits them
            r = _login(client, password=f"wrong-{i}", environ_base={"REMOTE_ADDR": f"10.1.0.{i}"})
            statuses.append(r.status_code)
            db.session.remove()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(set(statuses)) == [401], statuses
    checked = [e for e in _audit("user.login_failed") if e.changes["reason"] == "bad_credentials"]
    locked = [e for e in _audit("user.login_failed") if e.changes["reason"] == "locked"]
    assert len(checked) == services.MAX_FAILED_LOGINS, len(checked)
    assert len(checked) + len(locked) == 40
    assert len(_audit("user.lockout")) == 1
    db.session.expire_all()
    account = db.session.scalar(select(User).where(User.username == "officer"))
    assert account.locked_until is not None
    assert _login(app.test_client(), environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 401  # still locked


def test_lock_expires_and_a_new_count_starts(app, client, user):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import User
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.extensions import db

    for _ in range(services.MAX_FAILED_LOGINS):
        assert _login(client, password="wrong-password").status_code == 401
    assert "账户已临时锁定" in _login(client).get_data(as_text=True)
    account = db.session.scalar(select(User).where(User.username == "officer"))
    account.locked_until = now_utc() - timedelta(seconds=1)
    transaction.commit()
    assert _login(client, password="wrong-password").status_code == 401  # one new try, not locked again
    assert _login(client).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User.failed_logins).where(User.username == "officer")) == 0


# --- page sessions end on the server ---


def _me(client: Any) -> int:
    return int(client.get("/api/v1/me").status_code)


def test_logout_ends_the_session_on_the_server(app, user):
    client = app.test_client()
    assert _login(client).status_code == 302
    kept = client.get_cookie("session").value
    assert _me(client) == 200
    client.post("/logout")
    client.set_cookie("session", kept)  # a copied cookie replayed after logout
    assert _me(client) == 401
    page = client.get("/ops/police/hotlist")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


@pytest.mark.parametrize(
    "command", [["users", "set-password", "--username", "officer", "--password"], ["users", "disable", "officer"]]
)
def test_password_change_or_disabling_ends_the_accounts_sessions(app, runner, user, command):
    client = app.test_client()
    assert _login(client).status_code == 302
    assert _me(client) == 200
    args = [*command, "another-pass-2026"] if command[-1] == "--password" else command
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert _me(client) == 401
    if "disable" in command:
        assert _login(app.test_client()).status_code == 401
    else:
        assert _login(app.test_client(), password="another-pass-2026").status_code == 302
        assert [e.action for e in _audit("user.password_change")] == ["user.password_change"]


def test_idle_timeout_and_absolute_lifetime(app, client, user):
    idle, lifetime = app.config["SESSION_IDLE_TIMEOUT"], app.config["SESSION_MAX_LIFETIME"]
    assert (idle, lifetime) == (30 * 60, 12 * 3600)
    assert _login(client).status_code == 302
    with client.session_transaction() as s:
        s["seen"] = int(time.time()) - idle + 60
    assert _me(client) == 200  # 29 minutes idle: still open, and the request counts as activity
    with client.session_transaction() as s:
        assert s["seen"] >= int(time.time()) - 5
        s["seen"] = int(time.time()) - idle - 1
    assert _me(client) == 401
    assert _login(client).status_code == 302
    with client.session_transaction() as s:  # active all day, but logged in over 12 hours ago
        s["started"] = int(time.time()) - lifetime - 1
    assert _me(client) == 401


# --- redirect after login ---


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "//evil.example",
        "/%2F/evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "%2F%2Fevil.example",
    ],
)
def test_login_redirects_only_to_same_site_paths(client, user, target):
    r = client.post(f"/login?next={target}", data={"username": "officer", "password": PASSWORD})
    assert r.status_code == 302
    assert r.headers["Location"] == "/", (target, r.headers["Location"])


def test_a_control_character_in_next_is_refused_without_redirect(client, user):
    # DEL (and other control characters but tab and line breaks) in any query is refused app-wide.
    r = client.post("/login?next=/%7f/evil.example", data={"username": "officer", "password": PASSWORD})
    assert r.status_code == 422 and "Location" not in r.headers


def test_login_keeps_a_same_site_next_path(client, user):
    r = _login(client, query_string={"next": "/ops/police/hotlist?plate=晋E1"})
    assert unquote(r.headers["Location"]) == "/ops/police/hotlist?plate=晋E1"


# --- passwords and tokens ---


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-pw1", "至少10个字符"),
        ("1234567890", "过于常见"),
        ("Password123", "过于常见"),
        ("aaaaaaaaaaaa", "过于常见"),
    ],
)
def test_weak_passwords_are_refused(app, password, problem):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.core.errors import Invalid

    with pytest.raises(Invalid) as refused:
        services.create_user(UserIn(username="weak", password=password, department=Department("police")), actor=SYSTEM)
    assert problem in refused.value.fields["password"]


def test_username_as_password_is_refused_and_demo_password_is_accepted(app):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.core.errors import Invalid
    from vehicle_enforce.demo import DEMO_PASSWORD

    with pytest.raises(Invalid):
        services.create_user(
            UserIn(username="zhangsan-2026", password="Zhangsan-2026", department=Department("police")), actor=SYSTEM
        )
    services.check_password_rules(DEMO_PASSWORD, "huanbao")


def test_the_common_password_list_is_the_vendored_maintained_one_byte_for_byte():
    import hashlib

    from vehicle_enforce.auth import services

    digest = hashlib.sha256(services.COMMON_PASSWORDS_FILE.read_bytes()).hexdigest()
    provenance = services.COMMON_PASSWORDS_FILE.with_name("common-passwords.PROVENANCE.md").read_text(encoding="utf-8")
    assert digest in provenance  # replaced without updating its provenance: say where the new one came from
    assert services.COMMON_PASSWORDS_FILE.with_name("common-passwords.LICENSE").is_file()
    assert len(services.common_passwords()) > 19_000


@pytest.mark.parametrize(
    "password",
    # Well-known weak passwords of 10+ characters, from the top of public leak rankings (English and Chinese).
    [
        "1234567890",
        "qwertyuiop",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "basketball",
        "password12",
        "QwertyUiop",
        "tinkerbell",
        "liverpool1",
        "a123456789",
        "woaini1314",
        "5201314520",
        "iloveyou12",
        "PASSWORD123",
    ],
)
def test_well_known_weak_passwords_are_refused(password):
    from vehicle_enforce.auth import services
    from vehicle_enforce.core.errors import Invalid

    with pytest.raises(Invalid) as refused:
        services.check_password_rules(password, "officer")
    assert "过于常见" in refused.value.fields["password"]


def test_every_listed_password_long_enough_to_pass_the_length_rule_is_refused():
    """The class: any entry of either list (10+ characters), in any case, never becomes a password."""
    from vehicle_enforce.auth import services
    from vehicle_enforce.core.errors import Invalid

    candidates = sorted(p for p in services.common_passwords() if len(p) >= services.MIN_PASSWORD_LENGTH)
    assert len(candidates) > 1_500
    accepted = []
    for password in candidates:
        for variant in (password, password.upper(), password.capitalize()):
            try:
                services.check_password_rules(variant, "officer")
            except Invalid:
                continue
            accepted.append(variant)
    assert accepted == []


def test_tokens_may_expire(app, client, auth_headers, runner):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import ApiToken, Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.extensions import db

    issued = services.create_token(
        TokenIn(name="short-lived", department=Department("police"), expires_at=now_utc() + timedelta(hours=1)),
        actor=SYSTEM,
    )
    transaction.commit()
    bearer = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    token = db.session.get(ApiToken, issued.token.id)
    token.expires_at = now_utc() - timedelta(seconds=1)
    transaction.commit()
    assert client.get("/api/v1/me", headers=bearer).status_code == 401

    admin = auth_headers("admin")
    past = client.post(
        "/api/v1/tokens",
        json={"name": "t", "department": "police", "expires_at": "2020-01-01T00:00:00+08:00"},
        headers=admin,
    )
    assert past.status_code == 422 and "expires_at" in past.get_json()["error"]["fields"]
    made = client.post(
        "/api/v1/tokens",
        json={"name": "t", "department": "police", "expires_at": "2099-01-01T00:00:00+08:00"},
        headers=admin,
    )
    assert made.status_code == 201 and made.get_json()["expires_at"].startswith("2098-12-31T16:00")
    result = runner.invoke(args=["tokens", "create", "--department", "police", "--name", "cli", "--expires-days", "30"])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["tokens", "list"]).output
    assert "expires" in listed


def test_a_long_request_id_never_breaks_a_login_or_an_audited_write(client, user, auth_headers):
    long_id = "x" * 65
    r = _login(client, headers={"X-Request-ID": long_id})
    assert r.status_code == 302 and r.headers["X-Request-ID"] != long_id
    r = client.post(
        "/api/v1/tokens",
        json={"name": "t", "department": "police"},
        headers={**auth_headers("admin"), "X-Request-ID": long_id},
    )
    assert r.status_code == 201
    [entry] = _audit("token.create")[-1:]
    assert entry.request_id == r.headers["X-Request-ID"] and len(entry.request_id) <= 64
