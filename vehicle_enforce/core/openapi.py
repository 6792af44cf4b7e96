"""One declaration per API operation: spectree validates the request, checks and serialises the response
and writes the OpenAPI 3.1 document from the same pydantic models.

A route declares its contract once with :func:`operation`::

    @bp.post("/alerts")
    @api_access(D.environment)
    @operation("发布重污染预警 / Issue an alert", json=AlertIn, resp={201: AlertOut})
    def issue() -> Any:
        data = json_body(AlertIn)

spectree (`SpecTree("flask")`, plain Flask blueprints) reads the body and the query string through
:class:`_Plugin`, which keeps this service's rules (`core/schemas.py`: strict JSON types, no control or
bidi character, 400 for a body that is not JSON) and raises our own errors, so every refusal, the
library's included, answers `{"error": {"code", "message", "fields"}}`. A response is checked against
its declared model (`extra` keys allowed: the JSON the view built is sent unchanged, never trimmed).
Batch operations (`batch=True`) validate their raw body in one pass themselves
(`TypeAdapter.validate_json`) and their large answers are not validated again.

:func:`build_spec` adds what spectree does not know: the departments allowed (`x-departments`, bearer
security), the error answers (400, 401, 403, 404, 409, 413, 415, 422, 429) with examples, the
operation ids (`blueprint.view.method`) and the tags (the domain package of the view).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, TypeVar, cast

from flask import Flask, request
from pydantic import BaseModel, ConfigDict, PlainSerializer
from spectree import Response, SpecTree
from spectree.plugins.base import Context
from spectree.plugins.flask_plugin import FlaskPlugin

from vehicle_enforce.core import schemas

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound=BaseModel)

ERROR_CODES = ("400", "401", "403", "404", "409", "413", "415", "422", "429")
_ERROR_MEANING = {
    "400": ("bad_request", "请求体不是有效的 JSON / the body is not valid JSON"),
    "401": ("unauthorized", "缺少或无效的令牌 / missing or invalid token"),
    "403": ("forbidden", "本部门无权调用 / not allowed for this department"),
    "404": ("not_found", "记录不存在或不在本辖区 / no such record in your scope"),
    "409": ("conflict", "与已有记录冲突 / conflicts with a stored record"),
    "413": ("payload_too_large", "请求体超过上限 / body larger than the limit"),
    "415": ("unsupported_media_type", "不支持的内容类型 / unsupported content type"),
    "422": ("invalid", "字段不合规 / fields break a rule"),
    "429": ("too_many_requests", "请求过于频繁 / too many requests"),
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str]


class ErrorBody(BaseModel):
    """Every refusal: a machine code, a message and the problem of each named field."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"error": {"code": "invalid", "message": "request has invalid fields", "fields": {}}}]
        }
    )
    error: ErrorDetail


class Out(BaseModel):
    """Base of response models: the declared keys are checked, further keys pass through unchanged.

    `Out.model_validate(orm_row)` reads attributes, so a model can replace a hand-written `*_json`.
    """

    model_config = ConfigDict(extra="allow", from_attributes=True)


class Listing(Out):
    """`{"results": [...]}`: the items of a listing (their keys are in the golden files)."""

    results: list[dict[str, Any]]


class Page(Listing):
    """A keyset page: follow `next_cursor` (null on the last page) with `?cursor=`."""

    next_cursor: str | None


#: A stored time as the API has always written it: `datetime.isoformat()` (UTC, `+00:00`).
IsoTime = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str)]


class _Plugin(FlaskPlugin):
    """spectree's Flask plugin, reading bodies and queries by this service's rules (`core/schemas.py`).

    A refusal raises a `ServiceError`, rendered by `core/errors.py` in the one error shape.
    """

    def request_validation(self, request: Any, query: Any, json: Any, form: Any, headers: Any, cookies: Any) -> None:
        has_data = request.method not in ("GET", "DELETE")
        request.context = Context(
            schemas.parse_query(query) if query is not None else None,
            schemas.parse_body(json) if json is not None and has_data else None,
            None,
            None,
            None,
        )


def _after(req: Any, resp: Any, resp_validation_error: Any, instance: Any, adapter: Any = None) -> None:
    if resp_validation_error is not None:  # the view broke its own declared contract: a bug, logged as one
        raise RuntimeError(f"response breaks its declared model: {resp_validation_error}")


spec = SpecTree(
    "flask",
    backend=_Plugin,
    mode="strict",
    title="vehicle-enforce API",
    version="1",
    description="柴油车与非道路移动机械排放执法 / Emission enforcement for diesel trucks and non-road machinery",
    openapi_version="3.1.0",
    annotations=False,
    page_templates={},
    path="api/v1/spectree",  # spectree's own routes are never registered: /api/v1/openapi.json is ours
    validation_error_status=422,
    validation_error_model=ErrorBody,
    after=_after,
)


def operation(
    summary: str,
    *,
    json: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    resp: Mapping[int, Any] | None = None,
    description: str | None = None,
    batch: bool = False,
    body_schema: type[BaseModel] | None = None,
    multipart: dict[str, Any] | None = None,
    examples: Mapping[str, Any] | None = None,
) -> Callable[[F], F]:
    """Declare an operation: `summary` "中文 / English", request models, success models by status.

    `batch=True`: the view validates its raw body itself in one pass (`body_schema` documents it) and
    its answer is not validated again. `multipart`: the form schema of an upload (documented only).
    `examples`: {"request": value, "response": value} shown in the document.
    """
    responses = {f"HTTP_{status}": model for status, model in (resp or {200: None}).items()}

    def decorator(view: F) -> F:
        view.__doc__ = summary + (f"\n\n{description}" if description else "")
        validated = spec.validate(
            json=json,
            query=query,
            resp=Response(**responses),
            skip_validation=batch,
        )(view)
        validated.openapi = {
            "summary": summary,
            "body": json or body_schema,
            "query": query,
            "status": min(resp or {200: None}),
            "multipart": multipart,
            "examples": dict(examples or {}),
            "batch": batch,
            "description": description,
        }
        return cast(F, validated)

    return decorator


def json_body(model: type[M]) -> M:
    """The request body `operation(json=model)` validated."""
    context: Any = getattr(request, "context", None)  # set by spectree for a declared operation
    value = context.json if context is not None else None
    assert isinstance(value, model)
    return value


def query_args(model: type[M]) -> M:
    """The query string `operation(query=model)` validated (by spectree, or here for a batch operation,
    whose declaration spectree does not validate)."""
    context: Any = getattr(request, "context", None)
    value = context.query if context is not None else None
    if value is None:
        value = schemas.parse_query(model)
    assert isinstance(value, model)
    return value


# --------------------------------------------------------------------------------------------------
# The document


def domain_of(view: Any) -> str:
    """The tag of an operation: the domain package its view lives in (`vehicle_enforce.<domain>.api`)."""
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    parts = view.__module__.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "vehicle_enforce" else "core"


def _error_response(code: str) -> dict[str, Any]:
    machine, meaning = _ERROR_MEANING[code]
    return {
        "description": meaning,
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "examples": {
                    machine: {"value": {"error": {"code": machine, "message": meaning.split(" / ")[0], "fields": {}}}}
                },
            }
        },
    }


def _schema_ref(model: Any, components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(model, dict):
        return model
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components.setdefault(model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _path_parameters(rule: Any) -> list[dict[str, Any]]:
    out = []
    for name in rule.arguments:
        converter = rule._converters.get(name)
        kind = (
            "integer" if converter is not None and type(converter).__name__.endswith("IntegerConverter") else "string"
        )
        schema: dict[str, Any] = {"type": kind}
        if kind == "integer":
            schema |= {"minimum": 0, "maximum": 2**31 - 1}
        out.append({"name": name, "in": "path", "required": True, "schema": schema})
    return out


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route under /api/v1 (and /healthz)."""
    # spectree lifts nested models out of `$defs` by deleting them from its own model store, so a second
    # generation (a second app in one process: tests, `create_app` twice) would point at schemas that no
    # longer exist. Generate from a copy of the store and put the untouched store back.
    models = copy.deepcopy(spec.models)
    try:
        with app.app_context():
            generated = copy.deepcopy(spec._generate_spec())
    finally:
        spec.models = models
    components: dict[str, Any] = dict(generated["components"]["schemas"])
    components["Error"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(components["Error"].pop("$defs", {}))
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/") and rule.rule != "/healthz":
            continue
        view = app.view_functions[rule.endpoint]
        meta: dict[str, Any] | None = getattr(view, "openapi", None)
        if meta is None:
            raise RuntimeError(f"{rule.rule} has no @operation declaration (core/openapi.py)")
        departments = sorted(getattr(view, "api_departments", []))
        path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            method = method.lower()
            op = generated["paths"][path][method]
            op["parameters"] = [p for p in op.get("parameters", []) if p.get("in") != "path"]
            for param in op["parameters"]:
                if not param.get("description"):
                    param.pop("description", None)
            op["summary"] = meta["summary"]
            op.pop("description", None)
            if meta.get("description"):  # as written: spectree folds a docstring's lines
                op["description"] = meta["description"]
            if meta.get("batch") and meta.get("body") is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": _schema_ref(meta["body"], components)}},
                }
            if meta.get("multipart") is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"multipart/form-data": {"schema": meta["multipart"]}},
                }
            _add_examples(op, meta.get("examples") or {})  # after the request body a batch declares itself
            op["operationId"] = f"{rule.endpoint}.{method}"
            op["tags"] = [domain_of(view)]
            op["parameters"] = _path_parameters(rule) + op.get("parameters", [])
            for response in op["responses"].values():
                response.setdefault("description", "success / 成功")
            public = "public" in departments
            for code in ERROR_CODES:
                if public and code in ("401", "403"):
                    continue
                op["responses"][code] = _error_response(code)
            if departments and not public:
                op["security"] = [{"bearer": []}]
                op["x-departments"] = departments
            else:
                op["security"] = []
            paths.setdefault(path, {})[method] = op
    tags = sorted({op["tags"][0] for ops in paths.values() for op in ops.values()})
    return {
        "openapi": "3.1.0",
        "info": generated["info"],
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _add_examples(op: dict[str, Any], examples: Mapping[str, Any]) -> None:
    if "request" in examples and "requestBody" in op:
        op["requestBody"]["content"]["application/json"]["examples"] = {"default": {"value": examples["request"]}}
    if "response" in examples:
        for status, response in op["responses"].items():
            content = response.get("content", {}).get("application/json")
            if status.startswith("2") and content is not None:
                content["examples"] = {"default": {"value": examples["response"]}}
