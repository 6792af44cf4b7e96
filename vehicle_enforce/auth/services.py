"""Rules for people and tokens: creation, authentication, revocation (flush, never commit)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import and_, bindparam, case, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from vehicle_enforce.auth.models import ApiToken, County, Department, Township, User
from vehicle_enforce.auth.schemas import CountyIn, TokenIn, TownshipIn, UserIn
from vehicle_enforce.core import audit
from vehicle_enforce.core.actors import ANONYMOUS, Actor
from vehicle_enforce.core.errors import Conflict, Forbidden, Invalid, NotFound
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import Station

TOKEN_PREFIX = "ve_"  # noqa: S105  (a public marker, not a secret)
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
#: Django's maintained list of 20,000 common passwords (BSD; provenance and licence beside it), and the
#: hand-made supplement of habits Chinese users have that the English-language leaks under it lack.
COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common-passwords.txt.gz"
COMMON_PASSWORDS_ZH_FILE = Path(__file__).with_name("data") / "common_passwords_zh.txt"


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


def county_by_code_or_name(value: str) -> County:
    county: County | None = db.session.scalar(select(County).where((County.code == value) | (County.name == value)))
    if county is None:
        raise Invalid(f"unknown county '{value}'", {"county": "unknown county"})
    return county


def county_of_place(township: Township | None, county: str | None, *, actor: Actor) -> int | None:
    """The county of something placed in `township` or, without one, in `county` (code or name).

    A county's caller places things in its own county only (its county by default); the city level
    may place them in any county or, with neither, at the city level (None)."""
    county_id = county_by_code_or_name(county).id if county else None
    if township is not None:
        if county_id is not None and county_id != township.county_id:
            raise Invalid(
                f"township '{township.name}' is not in county '{county}'", {"county": "乡镇不属于该县（市、区）"}
            )
        county_id = township.county_id
    if actor.county_id is not None:
        if county_id is None:
            county_id = actor.county_id
        elif county_id != actor.county_id:
            raise Invalid("a county's account acts in its own county only", {"county": "只能在本县（市、区）内操作"})
    return county_id


def _scope(
    department: Department, township: str | None, station: str | None, county: str | None, *, actor: Actor
) -> tuple[int | None, int | None, int | None]:
    """(township id, station id, county id) of a new account or token; county None: the city level."""
    township_id = station_id = None
    place = None
    if department == Department.township and not township:
        raise Invalid("a township account needs its township", {"township": "required for township"})
    if township:
        place = township_by_name_or_code(township)
        township_id = place.id
    if department == Department.station and not station:
        raise Invalid("a station account needs its station", {"station": "required for station"})
    found = None
    if station:
        found = db.session.scalar(select(Station).where(Station.code == station))
        if found is None:
            raise Invalid(f"unknown station '{station}'", {"station": "unknown station"})
        station_id = found.id
    county_id = county_of_place(place, county, actor=actor)
    if found is not None and found.county_id is not None:
        if county_id is not None and county_id != found.county_id:
            raise Invalid(f"station '{station}' is not in that county", {"county": "站点不属于该县（市、区）"})
        county_id = found.county_id
    return township_id, station_id, county_id


def set_county(account: User | ApiToken, county: str | None, *, actor: Actor) -> None:
    """Move an account or a token to a county (code or name) or, with None, to the city level.

    A township's or a station's account stays in its township's or station's county; the city level
    (the CLI) reassigns. Audited; the account's next request acts in its new scope."""
    if actor.county_id is not None:
        raise Forbidden("only the city level reassigns accounts between counties")
    county_id = county_by_code_or_name(county).id if county else None
    township = db.session.get(Township, account.township_id) if account.township_id else None
    station = db.session.get(Station, account.station_id) if account.station_id else None
    bound = township.county_id if township is not None else (station.county_id if station is not None else None)
    if bound is not None and county_id != bound:
        raise Invalid("a township's or a station's account stays in its county", {"county": "与乡镇或站点所属县不一致"})
    if account.county_id == county_id:
        return
    kind, name = ("user", account.username) if isinstance(account, User) else ("api_token", account.name)
    audit.record(
        f"{'user' if kind == 'user' else 'token'}.county",
        kind,
        account.id,
        {"name": name, "county_id": [account.county_id, county_id]},
        actor=actor,
    )
    account.county_id = county_id


def create_county(data: CountyIn, *, actor: Actor) -> County:
    """A county of the city; only the city level (an account of no county, the CLI) adds counties."""
    if actor.county_id is not None:
        raise Forbidden("only the city level adds counties")
    taken = db.session.scalar(select(County).where((County.code == data.code) | (County.name == data.name)))
    if taken is not None:
        field = "code" if taken.code == data.code else "name"
        raise Conflict(f"county {data.code} {data.name} exists", {field: "already exists"})
    county = County(code=data.code, name=data.name, active=True)
    db.session.add(county)
    db.session.flush()
    audit.record("county.create", "county", county.id, {"code": data.code, "name": data.name}, actor=actor)
    return county


def create_township(data: TownshipIn, *, actor: Actor) -> Township:
    """A township of a county (`county`: code or name; the only county when there is one)."""
    if data.county:
        county_id = county_of_place(None, data.county, actor=actor)
    elif actor.county_id is not None:
        county_id = actor.county_id
    else:
        ids = db.session.scalars(select(County.id).limit(2)).all()
        if len(ids) != 1:
            raise Invalid("name the township's county", {"county": "required when there are several counties"})
        county_id = ids[0]
    taken = db.session.scalar(select(Township).where((Township.code == data.code) | (Township.name == data.name)))
    if taken is not None:
        field = "code" if taken.code == data.code else "name"
        raise Conflict(f"township {data.code} {data.name} exists", {field: "already exists"})
    township = Township(code=data.code, name=data.name, active=True, county_id=county_id)
    db.session.add(township)
    db.session.flush()
    audit.record(
        "township.create",
        "township",
        township.id,
        {"code": data.code, "name": data.name, "county_id": county_id},
        actor=actor,
    )
    return township


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def create_token(data: TokenIn, *, actor: Actor) -> IssuedToken:
    """Create an API token, audited as `actor`; the secret is returned once and only its hash is stored.

    `expires_at` (aware): the token stops working then; None keeps it until revoked."""
    name, township, station, expires_at = data.name, data.township, data.station, data.expires_at
    dept = _department(data.department)
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now_utc()):
        raise Invalid("令牌有效期必须是将来的时间（含时区）", {"expires_at": "必须是将来的时间，并带时区"})
    township_id, station_id, county_id = _scope(dept, township, station, data.county, actor=actor)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        department=dept.value,
        township_id=township_id,
        station_id=station_id,
        county_id=county_id,
        token_hash=_hash_token(secret),
        prefix=secret[:10],
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "token.create",
        "api_token",
        token.id,
        {"name": name, "department": dept.value, "station": station, "expires_at": expires_at, "county_id": county_id},
        actor=actor,
    )
    return IssuedToken(token, secret)


# Built once: every API request looks its token up.
_TOKEN_BY_DIGEST = select(ApiToken).where(ApiToken.token_hash == bindparam("digest"))


def authenticate_token(secret: str) -> ApiToken | None:
    digest = _hash_token(secret)
    token: ApiToken | None = db.session.scalar(_TOKEN_BY_DIGEST, {"digest": digest})
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now_utc():
        return None
    # The lookup is by digest; compare again in constant time so timing says nothing either way.
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    return token


def revoke_token(token_id: int, *, actor: Actor) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    # A county's admin manages its county's tokens only: another county's token is not found.
    if token is None or (actor.county_id is not None and token.county_id != actor.county_id):
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = now_utc()
        audit.record("token.revoke", "api_token", token.id, {"name": token.name}, actor=actor)
    return token


def create_user(data: UserIn, *, actor: Actor) -> User:
    """Create a page account, audited as `actor` (password rules: `check_password_rules`)."""
    username, password, display_name = data.username, data.password, data.display_name
    township, station = data.township, data.station
    dept = _department(data.department)
    check_password_rules(password, username)
    if db.session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' exists", {"username": "already taken"})
    township_id, station_id, county_id = _scope(dept, township, station, data.county, actor=actor)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=generate_password_hash(password),
        department=dept.value,
        township_id=township_id,
        station_id=station_id,
        county_id=county_id,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create",
        "user",
        user.id,
        {"username": username, "department": dept.value, "county_id": county_id},
        actor=actor,
    )
    return user


def check_password_rules(password: str, username: str = "") -> None:
    """At least MIN_PASSWORD_LENGTH characters, not a common password, not the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符", {"password": f"至少{MIN_PASSWORD_LENGTH}个字符"})
    lowered = password.lower()
    if lowered in common_passwords() or (username and lowered == username.lower()) or len(set(password)) < 3:
        raise Invalid("密码过于常见或容易猜到，请换一个", {"password": "过于常见或容易猜到"})


@functools.cache
def common_passwords() -> frozenset[str]:
    """Both lists, lower-cased (passwords are compared case-insensitively)."""
    lines = gzip.decompress(COMMON_PASSWORDS_FILE.read_bytes()).decode("utf-8").splitlines()
    lines += COMMON_PASSWORDS_ZH_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def set_password(user: User, password: str, *, actor: Actor) -> None:
    """Change a password; every open page session of the account ends."""
    check_password_rules(password, user.username)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)
    audit.record("user.password_change", "user", user.id, {"username": user.username}, actor=actor)


def set_active(user: User, active: bool, *, actor: Actor) -> None:
    """Enable or disable an account; disabling ends its sessions at once."""
    if user.active == active:
        return
    if not active and actor.kind == "user" and actor.id == user.id:
        raise Invalid("不能停用自己的账号", {"active": "不能停用自己的账号"})
    user.active = active
    if not active:
        end_sessions(user)
    action = "user.enable" if active else "user.disable"
    audit.record(action, "user", user.id, {"username": user.username}, actor=actor)


def generate_password() -> str:
    """A one-time password for a reset: 16 characters of letters and digits without look-alikes (0/O, 1/l/I),
    easy to read out over the phone; it passes `check_password_rules`."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(16))
        if len(set(password)) >= 3 and password.lower() not in common_passwords():
            return password


def reset_password(user: User, *, actor: Actor) -> str:
    """Give the account a new random password (returned once, stored only hashed); its sessions end and
    a lockout is lifted, so its owner can log in with it at once."""
    password = generate_password()
    set_password(user, password, actor=actor)
    unlock(user, actor=actor)
    return password


def unlock(user: User, *, actor: Actor) -> bool:
    """Lift a lockout after failed logins and clear the count; False when the account was not locked."""
    if not user.failed_logins and user.locked_until is None:
        return False
    was_locked = locked(user)
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["failed_logins", "locked_until"])
    audit.record("user.unlock", "user", user.id, {"username": user.username, "was_locked": was_locked}, actor=actor)
    return True


def locked(user: User) -> bool:
    """Whether failed logins lock the account now."""
    until = user.locked_until
    if until is None:
        return False
    return (until if until.tzinfo is not None else until.replace(tzinfo=UTC)) > now_utc()


def managed_user(user_id: int, *, actor: Actor) -> User:
    """An account the admin `actor` manages: a county's admin its county's accounts only (another
    county's account is not found, as a missing one); the city level every account."""
    user = db.session.get(User, user_id)
    if user is None or (actor.county_id is not None and user.county_id != actor.county_id):
        raise NotFound(f"user {user_id} not found")
    return user


def end_sessions(user: User) -> None:
    """End every page session of the account (their version no longer matches)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["session_version"])


def user_by_username(username: str) -> User:
    user: User | None = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户 {username} 不存在", {"username": "不存在"})
    return user


class LoginRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LoginTry:
    user: User | None  # None: unknown or disabled account (the password is still hashed)
    count: int  # failed or open tries including this one; MAX_FAILED_LOGINS locks the account


def begin_login(username: str) -> LoginTry:
    """Reserve one password try for the account in one atomic UPDATE, before the password is checked.

    The UPDATE admits the try only while the account is not locked, counts it, and locks the account
    when the count reaches MAX_FAILED_LOGINS, all in one statement: parallel wrong passwords (each
    waits for the row) get MAX_FAILED_LOGINS tries in total, never more. An expired lock starts a new
    count. Commit before checking the password (`finish_login`) so other requests see the count.
    """
    if not _plain_username(username):  # no lookup: a NUL or an overlong name is no account's name
        return LoginTry(None, 0)
    user: User | None = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        return LoginTry(None, 0)
    now = now_utc()
    lock_expired = and_(User.locked_until.is_not(None), User.locked_until <= now)
    count = case((lock_expired, 1), else_=User.failed_logins + 1)
    row = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=count, locked_until=case((count >= MAX_FAILED_LOGINS, now + LOCKOUT), else_=None))
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        _audit_failure(username, user, "locked")
        raise LoginRefused("locked")
    return LoginTry(user, int(row[0]))


def finish_login(attempt: LoginTry, username: str, password: str) -> User:
    """Check the password of a reserved try: a right one clears the count, a wrong one is audited."""
    user = attempt.user
    if user is None:
        # Hash anyway so an unknown user costs the same time as a wrong password.
        check_password_hash(_DUMMY_HASH, password)
        _audit_failure(username, None, "bad_credentials")
        raise LoginRefused("bad_credentials")
    if not check_password_hash(user.password_hash, password):
        _audit_failure(username, user, "bad_credentials")
        if attempt.count >= MAX_FAILED_LOGINS:
            audit.record("user.lockout", "user", user.id, actor=user_actor(user))
        raise LoginRefused("bad_credentials")
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["failed_logins", "locked_until"])
    audit.record("user.login", "user", user.id, actor=user_actor(user))
    return user


def _plain_username(username: str) -> bool:
    return 0 < len(username) <= User.username.type.length and username.isprintable()


def _audit_failure(username: str, user: User | None, reason: str) -> None:
    audit.record(
        "user.login_failed",
        "user",
        user.id if user else None,
        {"username": "".join(c for c in username[:64] if c.isprintable()), "reason": reason},
        actor=ANONYMOUS,
    )


def active_user(user_id: int, version: object = None) -> User | None:
    """The account of a page session, if it is still active and the session was not ended."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or version != user.session_version:
        return None
    return user


def user_actor(user: User) -> Actor:
    """The actor a logged-in person acts as."""
    return Actor(
        "user",
        user.id,
        user.username,
        user.department,
        user.township_id,
        user.station_id,
        user.county_id,
        _county_code(user.county_id),
    )


def token_actor(token: ApiToken) -> Actor:
    """The actor a system with an API token acts as."""
    return Actor(
        "token",
        token.id,
        token.name,
        token.department,
        token.township_id,
        token.station_id,
        token.county_id,
        _county_code(token.county_id),
    )


def _county_code(county_id: int | None) -> str | None:
    """The county's code (a primary-key lookup the session's identity map answers after the first)."""
    county = db.session.get(County, county_id) if county_id is not None else None
    return county.code if county is not None else None


_DUMMY_HASH = generate_password_hash("not-a-real-password")
