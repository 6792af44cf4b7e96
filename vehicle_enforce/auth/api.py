"""JSON API for accounts: who am I, and token management for the admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify
from pydantic import Field
from sqlalchemy import select

from vehicle_enforce.auth import services
from vehicle_enforce.auth.models import ApiToken, Department
from vehicle_enforce.auth.principal import ANY, api_access, principal_or_401
from vehicle_enforce.core.openapi import IsoTime, Out, json_body, operation
from vehicle_enforce.core.schemas import Schema
from vehicle_enforce.extensions import db

bp = Blueprint("auth_api", __name__, url_prefix="/api/v1")


class TokenIn(Schema):
    stored_as = (ApiToken,)
    name: str = Field(min_length=1, max_length=128)
    department: Department
    township: str | None = Field(default=None, max_length=64)
    station: str | None = Field(default=None, max_length=32)
    expires_at: datetime | None = None  # with a time zone; the token stops working then


class TokenOut(Out):
    """An API token as the admin sees it (never its secret)."""

    id: int
    name: str
    department: str
    township_id: int | None
    station_id: int | None
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


def token_json(token: ApiToken) -> dict[str, Any]:
    return TokenOut.model_validate(token).model_dump()


_TOKEN_EXAMPLE = {
    "id": 3,
    "name": "checkpoint-gateway",
    "department": "police",
    "township_id": None,
    "station_id": None,
    "prefix": "ve_3kq",
    "created_at": "2026-12-07T02:00:00+00:00",
    "revoked_at": None,
    "expires_at": None,
}


@bp.get("/me")
@api_access(ANY)
@operation(
    "调用者身份与所属部门 / The caller's identity and department",
    resp={200: MeOut},
    examples={
        "response": {
            "kind": "token",
            "id": 3,
            "name": "checkpoint-gateway",
            "department": "police",
            "township_id": None,
            "station_id": None,
        }
    },
)
def me() -> Any:
    p = principal_or_401()
    return jsonify(
        {
            "kind": p.kind,
            "id": p.id,
            "name": p.name,
            "department": p.department,
            "township_id": p.township_id,
            "station_id": p.station_id,
        }
    )


@bp.get("/tokens")
@api_access(Department.admin)
@operation(
    "接口令牌列表（不含密钥） / List API tokens (never their secrets)",
    resp={200: TokenList},
    examples={"response": {"results": [_TOKEN_EXAMPLE]}},
)
def list_tokens() -> Any:
    tokens = db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    return jsonify({"results": [token_json(t) for t in tokens]})


@bp.post("/tokens")
@api_access(Department.admin)
@operation(
    "创建接口令牌（密钥仅显示一次） / Create an API token; the secret is shown once",
    json=TokenIn,
    resp={201: IssuedTokenOut},
    examples={
        "request": {"name": "checkpoint-gateway", "department": "police"},
        "response": {**_TOKEN_EXAMPLE, "token": "ve_3kq…"},
    },
)
def create_token() -> Any:
    data = json_body(TokenIn)
    issued = services.create_token(
        data.name, data.department, township=data.township, station=data.station, expires_at=data.expires_at
    )
    return jsonify({**token_json(issued.token), "token": issued.secret}), 201


@bp.post("/tokens/<int:token_id>/revoke")
@api_access(Department.admin)
@operation("吊销接口令牌 / Revoke an API token", resp={200: TokenOut}, examples={"response": _TOKEN_EXAMPLE})
def revoke_token(token_id: int) -> Any:
    token = services.revoke_token(token_id)
    return jsonify(token_json(token))
