"""`vehicle-enforce users|tokens|townships|counties ...`"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

import click
from flask.cli import with_appcontext
from pydantic import ValidationError
from sqlalchemy import select

from vehicle_enforce.auth import services
from vehicle_enforce.auth.models import ApiToken, County, Department, Township
from vehicle_enforce.auth.schemas import CountyIn, TokenIn, TownshipIn, UserIn
from vehicle_enforce.core import actors, transaction
from vehicle_enforce.core.errors import Invalid, ServiceError
from vehicle_enforce.core.schemas import Schema, field_errors
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db

P = ParamSpec("P")
S = TypeVar("S", bound=Schema)
DEPARTMENTS = click.Choice([d.value for d in Department])


def _fail(exc: ServiceError) -> None:
    detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.message}" + (f" ({detail})" if detail else ""))


def _refusals(command: Callable[P, None]) -> Callable[P, None]:
    """A service refusal ends the command with its message and fields (exit status 1)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except ServiceError as exc:
            _fail(exc)

    return run


def _schema(model: type[S], **values: Any) -> S:
    """The command's options validated by the schema the services take (a refusal names the option)."""
    try:
        return model.model_validate(values, strict=False)
    except ValidationError as exc:
        raise Invalid("invalid options", field_errors(exc)) from None


@click.group("users")
def users() -> None:
    """People who log in to the pages."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--department", required=True, type=DEPARTMENTS)
@click.option("--display-name")
@click.option("--township", help="Township name or code (required for township accounts).")
@click.option("--station", help="Station code (required for station operators).")
@click.option("--county", help="County code or name; without one (and no township or station) the city level.")
@with_appcontext
@_refusals
@transaction.atomic()
def create_user(
    username: str,
    password: str,
    department: str,
    display_name: str | None,
    township: str | None,
    station: str | None,
    county: str | None,
) -> None:
    data = _schema(
        UserIn,
        username=username,
        password=password,
        department=department,
        display_name=display_name,
        township=township,
        station=station,
        county=county,
    )
    user = services.create_user(data, actor=actors.system("cli:users create"))
    click.echo(f"created user {user.username} ({user.department})")


@users.command("set-county")
@click.argument("username")
@click.option("--county", help="County code or name; without it the account moves to the city level.")
@with_appcontext
@_refusals
@transaction.atomic()
def set_user_county(username: str, county: str | None) -> None:
    """Move an account to a county, or to the city level (sees every county)."""
    services.set_county(services.user_by_username(username), county, actor=actors.system("cli:users set-county"))
    click.echo(f"user {username} now belongs to {county or 'the city level'}")


@users.command("set-password")
@click.option("--username", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
@_refusals
@transaction.atomic()
def set_password(username: str, password: str) -> None:
    """Change a password; the account's open page sessions end."""
    services.set_password(services.user_by_username(username), password, actor=actors.system("cli:users set-password"))
    click.echo(f"password of {username} changed; its sessions have ended")


@users.command("disable")
@click.argument("username")
@with_appcontext
@_refusals
@transaction.atomic()
def disable_user(username: str) -> None:
    """Disable an account: it can no longer log in and its open sessions end."""
    services.set_active(services.user_by_username(username), False, actor=actors.system("cli:users disable"))
    click.echo(f"user {username} disabled; its sessions have ended")


@users.command("enable")
@click.argument("username")
@with_appcontext
@_refusals
@transaction.atomic()
def enable_user(username: str) -> None:
    services.set_active(services.user_by_username(username), True, actor=actors.system("cli:users enable"))
    click.echo(f"user {username} enabled")


@users.command("reset-password")
@click.argument("username")
@with_appcontext
@_refusals
@transaction.atomic()
def reset_password(username: str) -> None:
    """Give the account a random one-time password (printed once); its sessions end, a lockout is lifted."""
    password = services.reset_password(
        services.user_by_username(username), actor=actors.system("cli:users reset-password")
    )
    click.echo(f"new password of {username} (shown once): {password}")


@users.command("unlock")
@click.argument("username")
@with_appcontext
@_refusals
@transaction.atomic()
def unlock_user(username: str) -> None:
    """Lift the lockout after failed logins."""
    done = services.unlock(services.user_by_username(username), actor=actors.system("cli:users unlock"))
    click.echo(f"user {username} unlocked" if done else f"user {username} was not locked")


@click.group("tokens")
def tokens() -> None:
    """API tokens for machines and other systems."""


@tokens.command("create")
@click.option("--department", required=True, type=DEPARTMENTS)
@click.option("--name", required=True)
@click.option("--township")
@click.option("--station", help="Station code (required for station tokens).")
@click.option("--expires-days", type=click.IntRange(1, 3650), help="Days until the token stops working.")
@click.option("--county", help="County code or name; without one (and no township or station) the city level.")
@with_appcontext
@_refusals
@transaction.atomic()
def create_token(
    department: str,
    name: str,
    township: str | None,
    station: str | None,
    expires_days: int | None,
    county: str | None,
) -> None:
    """Create a token; its secret is printed once, as the last line."""

    expires_at = now_utc() + timedelta(days=expires_days) if expires_days else None
    data = _schema(
        TokenIn,
        name=name,
        department=department,
        township=township,
        station=station,
        expires_at=expires_at,
        county=county,
    )
    issued = services.create_token(data, actor=actors.system("cli:tokens create"))
    click.echo(f"token {issued.token.id} '{name}' for {department} created; store it now, it is not shown again:")
    click.echo(issued.secret)


@tokens.command("list")
@with_appcontext
def list_tokens() -> None:
    for t in db.session.scalars(select(ApiToken).order_by(ApiToken.id)):
        state = "revoked" if t.revoked_at else "active"
        if t.expires_at is not None and not t.revoked_at:
            state = f"expires {t.expires_at.isoformat(timespec='minutes')}"
        county = (db.session.get(County, t.county_id) if t.county_id else None) or County(code="city")
        click.echo(f"{t.id}\t{t.prefix}…\t{t.department}\t{county.code}\t{t.name}\t{state}")


@tokens.command("set-county")
@click.argument("token_id", type=int)
@click.option("--county", help="County code or name; without it the token moves to the city level.")
@with_appcontext
@_refusals
@transaction.atomic()
def set_token_county(token_id: int, county: str | None) -> None:
    """Move a token to a county, or to the city level."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"token {token_id} not found")
    services.set_county(token, county, actor=actors.system("cli:tokens set-county"))
    click.echo(f"token {token_id} now belongs to {county or 'the city level'}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
@_refusals
@transaction.atomic()
def revoke_token(token_id: int) -> None:
    services.revoke_token(token_id, actor=actors.system("cli:tokens revoke"))
    click.echo(f"token {token_id} revoked")


@click.group("townships")
def townships() -> None:
    """Townships of the city's counties."""


@townships.command("list")
@with_appcontext
def list_townships() -> None:
    for t in db.session.scalars(select(Township).order_by(Township.code)):
        click.echo(f"{t.code}\t{t.name}\t{t.county.code} {t.county.name}\t{'active' if t.active else 'inactive'}")


@townships.command("add")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--county", help="County code or name (needed when the city has several counties).")
@with_appcontext
@_refusals
@transaction.atomic()
def add_township(code: str, name: str, county: str | None) -> None:
    data = _schema(TownshipIn, code=code, name=name, county=county)
    township = services.create_township(data, actor=actors.system("cli:townships add"))
    click.echo(f"added township {code} {name} to county {township.county.code} {township.county.name}")


@click.group("counties")
def counties() -> None:
    """Counties and districts of the city (accounts and tokens without one are city-level)."""


@counties.command("list")
@with_appcontext
def list_counties() -> None:
    for c in db.session.scalars(select(County).order_by(County.code)):
        click.echo(f"{c.code}\t{c.name}\t{'active' if c.active else 'inactive'}")


@counties.command("add")
@click.option("--code", required=True, help="Six-digit division code, e.g. 140581.")
@click.option("--name", required=True)
@with_appcontext
@_refusals
@transaction.atomic()
def add_county(code: str, name: str) -> None:
    county = services.create_county(_schema(CountyIn, code=code, name=name), actor=actors.system("cli:counties add"))
    click.echo(f"added county {county.code} {county.name}")
