"""Request and response shapes of accounts and API tokens, shared by the API, the CLI and the services."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from vehicle_enforce.auth.models import ApiToken, County, Department, Township, User
from vehicle_enforce.core.openapi import IsoTime, Out
from vehicle_enforce.core.schemas import Schema


class TokenIn(Schema):
    stored_as = (ApiToken,)
    name: str = Field(min_length=1, max_length=128)
    department: Department
    township: str | None = Field(default=None, max_length=64)
    station: str | None = Field(default=None, max_length=32)
    expires_at: datetime | None = None  # with a time zone; the token stops working then
    county: str | None = Field(
        default=None, max_length=64, description="county code or name; none: the city level (sees every county)"
    )


class UserIn(Schema):
    """A person who logs in to the pages (created by `vehicle-enforce users create` and the demo)."""

    stored_as = (User,)
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(
        min_length=1, max_length=128, description="at least 10 characters, not common, not the username"
    )
    department: Department
    display_name: str | None = Field(default=None, max_length=128)
    township: str | None = Field(default=None, max_length=64, description="township name or code")
    station: str | None = Field(default=None, max_length=32, description="station code")
    county: str | None = Field(
        default=None, max_length=64, description="county code or name; none: the city level (sees every county)"
    )


class CountyIn(Schema):
    """A county or district of the city (GB/T 2260 code)."""

    stored_as = (County,)
    code: str = Field(pattern=r"^[0-9]{6}$", description="six-digit division code, e.g. 140581")
    name: str = Field(min_length=1, max_length=64)


class TownshipIn(Schema):
    stored_as = (Township,)
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    county: str | None = Field(default=None, max_length=64, description="county code or name")


class CountyOut(Out):
    id: int
    code: str
    name: str
    active: bool


class CountyList(Out):
    results: list[CountyOut]


class TokenOut(Out):
    """An API token as the admin sees it (never its secret)."""

    id: int
    name: str
    department: str
    township_id: int | None
    station_id: int | None
    county_id: int | None
    prefix: str
    created_at: IsoTime
    revoked_at: IsoTime | None
    expires_at: IsoTime | None


class IssuedTokenOut(TokenOut):
    token: str  # the secret, shown this once


class TokenList(Out):
    results: list[TokenOut]


class MeOut(Out):
    kind: str
    id: int | None
    name: str
    department: str | None
    township_id: int | None
    station_id: int | None
    county_id: int | None
