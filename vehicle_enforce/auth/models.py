"""Accounts: counties, townships, people who log in to pages and tokens that systems use.

One deployment serves one city (`REGION_CODE`, e.g. 140500 晋城市) and its counties (`counties`, e.g.
140525 泽州县, 140581 高平市). The city is not a row: it is the deployment. A township and a station belong
to a county; an account or a token belongs to a county or, with no county (NULL), to the city level,
which sees every county (`auth/scope.py`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model


class Department(enum.StrEnum):
    environment = "environment"
    police = "police"
    transport = "transport"
    housing = "housing"
    township = "township"
    station = "station"
    admin = "admin"


DEPARTMENT_NAMES_ZH = {
    Department.environment: "生态环境",
    Department.police: "公安交管",
    Department.transport: "交通运输",
    Department.housing: "住房和城乡建设",
    Department.township: "乡镇政府",
    Department.station: "检测站点",
    Department.admin: "系统管理",
}


def department_name(value: str) -> str:
    """A department's Chinese name, from its code as stored (an unknown code is shown as recorded)."""
    try:
        return DEPARTMENT_NAMES_ZH[Department(value)]
    except (ValueError, KeyError):
        return value


class County(Model):
    """A county or district of the city (code: the GB/T 2260 division code, e.g. 140525)."""

    __tablename__ = "counties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class Township(Model):
    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)

    county: Mapped[County] = relationship()


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    department: Mapped[str] = mapped_column(String(32))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))  # None: the city level
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # Page sessions carry the version they were opened with; logout, a password change or disabling the
    # account increments it, which ends every session of the account on its next request.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    township: Mapped[Township | None] = relationship()


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    department: Mapped[str] = mapped_column(String(32))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))  # None: the city level
    # sha256 of the secret: tokens are long random strings, so a fast hash is enough and allows lookup.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    revoked_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # None: valid until revoked
    last_used_at: Mapped[datetime | None]
