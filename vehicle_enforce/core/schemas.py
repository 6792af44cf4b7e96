"""Request parsing: JSON bodies and query strings validated by pydantic models.

Malformed JSON is a 400; wrong types, unknown fields and invalid values are a 422 naming each field.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict, ValidationError

from vehicle_enforce.core import jsontext
from vehicle_enforce.core.errors import BadRequest, Invalid

M = TypeVar("M", bound=BaseModel)


class Schema(BaseModel):
    """Base for request schemas: unknown fields are refused, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class QuerySchema(BaseModel):
    """Query strings arrive as text, so values are coerced; unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "body"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "field required"
        fields.setdefault(loc, message)
    return fields


def raw_json_body() -> Any:
    """Return the decoded JSON body or raise 400 (not JSON, malformed, empty)."""
    if not request.is_json:
        raise BadRequest("request body must be JSON (Content-Type: application/json)", {"body": "not JSON"})
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("request body is not valid JSON", {"body": "malformed JSON"})
    return data


def parse_body(model: type[M]) -> M:
    data = raw_json_body()
    return validate(model, data)


def validate(model: type[M], data: Any, *, prefix: str = "") -> M:
    if not isinstance(data, dict):
        raise Invalid("request body must be a JSON object", {prefix.rstrip(".") or "body": "must be an object"})
    try:
        return model.model_validate_json(_dumps(data), strict=True)
    except ValidationError as exc:
        errors = {f"{prefix}{k}": v for k, v in field_errors(exc).items()}
        raise Invalid("request has invalid fields", errors) from None


def parse_query(model: type[M]) -> M:
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        data[key] = values[0] if len(values) == 1 else values
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid("query has invalid parameters", field_errors(exc)) from None


def _dumps(data: Any) -> str:
    return jsontext.dumps(data)
