"""JSON API for accounts: who am I, the city's counties, and token management for the admin."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import select

from vehicle_enforce.auth import services
from vehicle_enforce.auth.models import ApiToken, County, Department
from vehicle_enforce.auth.principal import ANY, api_access, principal_or_401
from vehicle_enforce.auth.schemas import (
    CountyIn,
    CountyList,
    CountyOut,
    IssuedTokenOut,
    MeOut,
    TokenIn,
    TokenList,
    TokenOut,
)
from vehicle_enforce.core.openapi import json_body, operation
from vehicle_enforce.extensions import db

bp = Blueprint("auth_api", __name__, url_prefix="/api/v1")


def token_json(token: ApiToken) -> dict[str, Any]:
    return TokenOut.model_validate(token).model_dump(mode="json")


_TOKEN_EXAMPLE = {
    "id": 3,
    "name": "泽州县公安卡口系统",
    "department": "police",
    "township_id": None,
    "station_id": None,
    "county_id": 1,
    "prefix": "ve_3kqZ8mT",
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
            "name": "泽州县公安卡口系统",
            "department": "police",
            "township_id": None,
            "station_id": None,
            "county_id": 1,
        }
    },
)
def me() -> Any:
    return jsonify(MeOut.model_validate(principal_or_401()).model_dump(mode="json"))


@bp.get("/tokens")
@api_access(Department.admin)
@operation(
    "接口令牌列表（不含密钥） / List API tokens (never their secrets)",
    resp={200: TokenList},
    examples={"response": {"results": [_TOKEN_EXAMPLE]}},
)
def list_tokens() -> Any:
    principal = principal_or_401()
    stmt = select(ApiToken).order_by(ApiToken.id)
    if principal.county_id is not None:  # a county's admin manages its county's tokens
        stmt = stmt.where(ApiToken.county_id == principal.county_id)
    tokens = db.session.scalars(stmt).all()
    return jsonify({"results": [token_json(t) for t in tokens]})


@bp.post("/tokens")
@api_access(Department.admin)
@operation(
    "创建接口令牌（密钥仅显示一次） / Create an API token; the secret is shown once",
    json=TokenIn,
    resp={201: IssuedTokenOut},
    examples={
        "request": {
            "name": "泽州县公安卡口系统",
            "department": "police",
            "county": "140525",
            "expires_at": "2027-12-31T00:00:00+08:00",
        },
        "response": {
            **_TOKEN_EXAMPLE,
            "expires_at": "2027-12-30T16:00:00+00:00",
            "token": "ve_3kqZ8mTq1VbXo2hC9sLrW4yNfE7aPdGuKj6tS0iM5",
        },
    },
)
def create_token() -> Any:
    issued = services.create_token(json_body(TokenIn), actor=principal_or_401())
    return jsonify({**token_json(issued.token), "token": issued.secret}), 201


@bp.post("/tokens/<int:token_id>/revoke")
@api_access(Department.admin)
@operation("吊销接口令牌 / Revoke an API token", resp={200: TokenOut}, examples={"response": _TOKEN_EXAMPLE})
def revoke_token(token_id: int) -> Any:
    token = services.revoke_token(token_id, actor=principal_or_401())
    return jsonify(token_json(token))


_COUNTY_EXAMPLE = {"id": 2, "code": "140581", "name": "高平市", "active": True}


@bp.get("/counties")
@api_access(ANY)
@operation(
    "本市的县（市、区） / The city's counties and districts",
    resp={200: CountyList},
    examples={"response": {"results": [{"id": 1, "code": "140525", "name": "泽州县", "active": True}]}},
)
def list_counties() -> Any:
    counties = db.session.scalars(select(County).order_by(County.code)).all()
    return jsonify({"results": [CountyOut.model_validate(c).model_dump(mode="json") for c in counties]})


@bp.post("/counties")
@api_access(Department.admin)
@operation(
    "新增县（市、区），仅市级管理员 / Add a county (city-level admin only)",
    json=CountyIn,
    resp={201: CountyOut},
    examples={"request": {"code": "140581", "name": "高平市"}, "response": _COUNTY_EXAMPLE},
)
def create_county() -> Any:
    county = services.create_county(json_body(CountyIn), actor=principal_or_401())
    return jsonify(CountyOut.model_validate(county).model_dump(mode="json")), 201
