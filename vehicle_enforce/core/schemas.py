"""Request parsing: JSON bodies and query strings validated by pydantic models.

Malformed JSON is a 400; wrong types, unknown fields and invalid values are a 422 naming each field.
"""

from __future__ import annotations

import re
import typing
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar

import annotated_types
from flask import request
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from vehicle_enforce.core import jsontext
from vehicle_enforce.core.errors import BadRequest, Invalid
from vehicle_enforce.core.inputs import column_lengths, text_problems

M = TypeVar("M", bound=BaseModel)


#: Dates a request may carry (a wider one is a typo or an attack; it must not overflow date arithmetic).
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


class _Bounded(BaseModel):
    """Shared by body and query schemas.

    `stored_as` names the models a schema's fields are stored in: every str field named like a
    bounded String column of one of them gets that column's length as its max_length (a smaller one
    declared on the field wins). Dates and times must lie between 1900 and 2199. A text field takes
    an integer as its text.
    """

    stored_as: ClassVar[tuple[type, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if not cls.stored_as:
            return
        limits: dict[str, int] = {}
        for model in cls.stored_as:
            for name, length in column_lengths(model).items():
                limits[name] = min(length, limits.get(name, length))
        changed = False
        for name, info in cls.model_fields.items():
            limit = limits.get(name)
            if limit is None or not _holds_text(info.annotation):
                continue
            current = max_length_of(info)
            if current is None or current > limit:
                info.metadata = [m for m in info.metadata if not isinstance(m, annotated_types.MaxLen)]
                info.metadata.append(annotated_types.MaxLen(limit))
                changed = True
        if changed:
            cls.model_rebuild(force=True)

    @field_validator("*", mode="after")
    @classmethod
    def _dates_in_range(cls, value: Any) -> Any:
        if isinstance(value, date):
            day = value.date() if isinstance(value, datetime) else value
            if not EARLIEST <= day <= LATEST:
                raise ValueError(f"date must lie between {EARLIEST.year} and {LATEST.year}")
        return value


def _holds_text(annotation: Any) -> bool:

    if annotation is str:
        return True
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is dict:
        args = args[1:]  # the values; keys are checked for characters, not length
    return any(_holds_text(arg) for arg in args if arg is not type(None))


def max_length_of(info: Any) -> int | None:
    """The max_length a pydantic FieldInfo declares, or None."""
    for m in info.metadata:
        if isinstance(m, annotated_types.MaxLen):
            return int(m.max_length)
        if getattr(m, "max_length", None) is not None:
            return int(m.max_length)
    return None


class Schema(_Bounded):
    """Base for request schemas: unknown fields are refused, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True, allow_inf_nan=False)


class QuerySchema(_Bounded):
    """Query strings arrive as text, so values are coerced; unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


#: Names pydantic gives the members of a union in an error's location (`since.datetime`, `since.date`).
_UNION_TAGS = frozenset({"str", "int", "float", "bool", "date", "datetime", "time", "decimal", "none", "list", "dict"})


def field_path(loc: tuple[int | str, ...], default: str = "body") -> str:
    """An error location as the field a caller wrote: `readings.k_readings.0`, `since` (never
    `since.datetime`): the members pydantic tries for a union (a type name, a model's class name, a
    `function-after[...]` tag) are not fields, so they are left out."""
    parts = [
        str(p) for p in loc if isinstance(p, int) or not (p in _UNION_TAGS or p[:1].isupper() or "[" in p or "-" in p)
    ]
    return ".".join(parts) or default


def field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = field_path(err["loc"])
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


def refuse_hidden_characters(data: Any, prefix: str = "") -> None:
    """422 naming each field whose text holds a control or bidi-override character."""
    problems = text_problems(data, prefix.rstrip("."))
    if problems:
        raise Invalid("request has invalid characters", {k: msg for k, (_code, msg) in problems.items()})


def numbers_as_codes(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """Devices send ids, lanes and codes as numbers or as text: an integer for a text field is its
    decimal text (a boolean is not)."""
    out = data
    for name, value in data.items():
        if isinstance(value, int) and not isinstance(value, bool):
            field = model.model_fields.get(name)
            if field is not None and field.annotation in (str, str | None):
                out = {**out, name: str(value)} if out is data else out | {name: str(value)}
    return out


def validate(model: type[M], data: Any, *, prefix: str = "") -> M:
    if not isinstance(data, dict):
        raise Invalid("request body must be a JSON object", {prefix.rstrip(".") or "body": "must be an object"})
    refuse_hidden_characters(data, prefix)
    data = numbers_as_codes(model, data)
    try:
        return model.model_validate_json(_dumps(data), strict=True)
    except ValidationError as exc:
        errors = {f"{prefix}{k}": v for k, v in field_errors(exc).items()}
        raise Invalid("request has invalid fields", errors) from None


#: JSON escapes that may decode to a character no stored text may hold (`core/inputs.py`): C0/C1
#: controls (`\b`, `\f`, `\u0000`-`\u001f`, `\u007f`-`\u009f`) and bidi marks. Matching more than
#: that (tab, a literal backslash before `b`) only sends a body down the ordinary path.
_HIDDEN_ESCAPE = re.compile(
    rb"\\(?:[bf]|u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|061[cC]|200[eEfF]|202[a-eA-E]|206[6-9]))"
)


def parse_batch(model: type[M]) -> M:
    """A large body (a batch of plate reads) validated in one pass over its raw bytes.

    pydantic's `validate_json` reads the bytes straight into the model: no decoded copy, no second
    encoding. A body that may hold a control or bidi character (the character itself, or an escape of
    one), or that the one pass refuses, takes the ordinary path (`parse_body`), which names every field
    in the same error shape: the fast path never changes an answer.
    """
    raw = request.get_data(cache=True)
    if request.is_json and _HIDDEN_ESCAPE.search(raw) is None:
        text = raw.decode("utf-8", errors="replace")
        if text_problems(text) == {}:
            try:
                return model.model_validate_json(raw, strict=True)
            except ValidationError:
                pass
    return parse_body(model)


def parse_query(model: type[M]) -> M:
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        data[key] = values[0] if len(values) == 1 else values
    refuse_hidden_characters(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid("query has invalid parameters", field_errors(exc)) from None


def _dumps(data: Any) -> str:
    return jsontext.dumps(data)
