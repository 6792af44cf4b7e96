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
from vehicle_enforce.core import transaction
from vehicle_enforce.core.openapi import doc
from vehicle_enforce.core.schemas import Schema, parse_body
from vehicle_enforce.extensions import db

bp = Blueprint("auth_api", __name__, url_prefix="/api/v1")


class TokenIn(Schema):
    stored_as = (ApiToken,)
    name: str = Field(min_length=1, max_length=128)
    department: Department
    township: str | None = Field(default=None, max_length=64)
    station: str | None = Field(default=None, max_length=32)
    expires_at: datetime | None = None  # with a time zone; the token stops working then


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "department": token.department,
        "township_id": token.township_id,
        "station_id": token.station_id,
        "prefix": token.prefix,
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


@bp.get("/me")
@api_access(ANY)
@doc("The caller's identity and department", tags=["auth"])
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
@doc("List API tokens (never their secrets)", tags=["auth"])
def list_tokens() -> Any:
    tokens = db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    return jsonify({"results": [token_json(t) for t in tokens]})


@bp.post("/tokens")
@api_access(Department.admin)
@doc("Create an API token; the secret is shown once", body=TokenIn, status=201, tags=["auth"])
def create_token() -> Any:
    data = parse_body(TokenIn)
    issued = services.create_token(
        data.name, data.department, township=data.township, station=data.station, expires_at=data.expires_at
    )
    transaction.commit()
    return jsonify({**token_json(issued.token), "token": issued.secret}), 201


@bp.post("/tokens/<int:token_id>/revoke")
@api_access(Department.admin)
@doc("Revoke an API token", tags=["auth"])
def revoke_token(token_id: int) -> Any:
    token = services.revoke_token(token_id)
    transaction.commit()
    return jsonify(token_json(token))
