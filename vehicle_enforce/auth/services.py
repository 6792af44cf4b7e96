"""Rules for people and tokens: creation, authentication, revocation (flush, never commit)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select
from werkzeug.security import check_password_hash, generate_password_hash

from vehicle_enforce.auth.models import ApiToken, Department, Township, User
from vehicle_enforce.core import audit
from vehicle_enforce.core.errors import Conflict, Invalid, NotFound
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db

TOKEN_PREFIX = "ve_"  # noqa: S105  (a public marker, not a secret)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _department(value: str) -> Department:
    try:
        return Department(value)
    except ValueError:
        raise Invalid(
            f"unknown department '{value}'", {"department": f"one of {', '.join(d.value for d in Department)}"}
        ) from None


def township_by_name_or_code(value: str) -> Township:
    township: Township | None = db.session.scalar(
        select(Township).where((Township.name == value) | (Township.code == value))
    )
    if township is None:
        raise Invalid(f"unknown township '{value}'", {"township": "unknown township"})
    return township


def _scope(department: Department, township: str | None, station: str | None) -> tuple[int | None, int | None]:
    from vehicle_enforce.inspections.models import Station

    township_id = station_id = None
    if department == Department.township:
        if not township:
            raise Invalid("a township account needs its township", {"township": "required for township"})
        township_id = township_by_name_or_code(township).id
    elif township:
        township_id = township_by_name_or_code(township).id
    if department == Department.station and not station:
        raise Invalid("a station account needs its station", {"station": "required for station"})
    if station:
        found = db.session.scalar(select(Station).where(Station.code == station))
        if found is None:
            raise Invalid(f"unknown station '{station}'", {"station": "unknown station"})
        station_id = found.id
    return township_id, station_id


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def create_token(name: str, department: str, *, township: str | None = None, station: str | None = None) -> IssuedToken:
    """Create an API token; the secret is returned once and only its hash is stored."""
    dept = _department(department)
    township_id, station_id = _scope(dept, township, station)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        department=dept.value,
        township_id=township_id,
        station_id=station_id,
        token_hash=_hash_token(secret),
        prefix=secret[:10],
    )
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", "api_token", token.id, {"name": name, "department": dept.value, "station": station})
    return IssuedToken(token, secret)


# Built once: every API request looks its token up.
_TOKEN_BY_DIGEST = select(ApiToken).where(ApiToken.token_hash == bindparam("digest"))


def authenticate_token(secret: str) -> ApiToken | None:
    digest = _hash_token(secret)
    token: ApiToken | None = db.session.scalar(_TOKEN_BY_DIGEST, {"digest": digest})
    if token is None or token.revoked_at is not None:
        return None
    # The lookup is by digest; compare again in constant time so timing says nothing either way.
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    return token


def revoke_token(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = now_utc()
        audit.record("token.revoke", "api_token", token.id, {"name": token.name})
    return token


def create_user(
    username: str,
    password: str,
    department: str,
    *,
    display_name: str | None = None,
    township: str | None = None,
    station: str | None = None,
) -> User:
    dept = _department(department)
    if len(password) < 8:
        raise Invalid("password too short", {"password": "at least 8 characters"})
    if db.session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' exists", {"username": "already taken"})
    township_id, station_id = _scope(dept, township, station)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=generate_password_hash(password),
        department=dept.value,
        township_id=township_id,
        station_id=station_id,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, {"username": username, "department": dept.value})
    return user


class LoginRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_login(username: str, password: str) -> User:
    """Verify a password, counting failures and locking the account after repeated ones."""
    user: User | None = db.session.scalar(select(User).where(User.username == username))
    now = now_utc()
    if user is None or not user.active:
        # Hash anyway so an unknown user costs the same time as a wrong password.
        check_password_hash(_DUMMY_HASH, password)
        raise LoginRefused("bad_credentials")
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefused("locked")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            audit.record("user.lockout", "user", user.id, actor=_user_principal(user))
        raise LoginRefused("bad_credentials")
    user.failed_logins = 0
    user.locked_until = None
    audit.record("user.login", "user", user.id, actor=_user_principal(user))
    return user


def active_user(user_id: int, _version: object = None) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    return user


def _user_principal(user: User) -> object:
    from vehicle_enforce.auth.principal import Principal

    return Principal("user", user.id, user.username, user.department, user.township_id, user.station_id)


_DUMMY_HASH = generate_password_hash("not-a-real-password")
