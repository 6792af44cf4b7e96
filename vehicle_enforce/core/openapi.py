"""The OpenAPI 3 document, built from the route table and the pydantic models views declare.

A view declares its schemas with `@doc(...)`; routes without one still appear, so the document always
lists every route under /api/v1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from pydantic import BaseModel

F = TypeVar("F", bound=Callable[..., Any])

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}


def doc(
    summary: str,
    *,
    body: type[BaseModel] | dict[str, Any] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | dict[str, Any] | None = None,
    status: int = 200,
    tags: list[str] | None = None,
    multipart: dict[str, Any] | None = None,
    description: str | None = None,
) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        view.openapi = {  # type: ignore[attr-defined]  # a mark on the view, read back by the document builder
            "summary": summary,
            "body": body,
            "query": query,
            "response": response,
            "status": status,
            "tags": tags,
            "multipart": multipart,
            "description": description,
        }
        return view

    return decorator


def _openapi30(node: Any) -> Any:
    """JSON Schema 2020 → OpenAPI 3.0: numeric exclusive bounds become `minimum` + `exclusiveMinimum: true`."""
    if isinstance(node, list):
        return [_openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _openapi30(value) for key, value in node.items()}
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(exclusive)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[bound], out[exclusive] = value, True
    return out


def _schema(model: type[BaseModel] | dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(model, dict):
        return model
    schema = _openapi30(model.model_json_schema(ref_template="#/components/schemas/{model}"))
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build_spec(app: Flask) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/") and rule.rule != "/healthz":
            continue
        view = app.view_functions[rule.endpoint]
        meta: dict[str, Any] = getattr(view, "openapi", None) or {"summary": rule.endpoint}
        departments = sorted(getattr(view, "api_departments", []))
        path = re.sub(r"<(?:[a-z]+:)?([a-zA-Z_]+)>", r"{\1}", rule.rule)
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": _path_type(rule, name)}}
            for name in rule.arguments
        ]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": meta["summary"],
                "tags": meta.get("tags") or [rule.endpoint.split(".")[0]],
                "parameters": list(params),
                "responses": _responses(meta, components, public="public" in departments),
            }
            if meta.get("description"):
                op["description"] = meta["description"]
            if departments and "public" not in departments:
                op["security"] = [{"bearer": []}]
                op["x-departments"] = departments
            else:
                op["security"] = []
            query = meta.get("query")
            if query is not None:  # a POST may take options in its query string too
                for name, prop in _openapi30(query.model_json_schema()).get("properties", {}).items():
                    op["parameters"].append({"name": name, "in": "query", "required": False, "schema": prop})
            if method in {"POST", "PUT", "PATCH"}:
                if meta.get("multipart") is not None:
                    op["requestBody"] = {
                        "required": True,
                        "content": {"multipart/form-data": {"schema": meta["multipart"]}},
                    }
                elif meta.get("body") is not None:
                    op["requestBody"] = {
                        "required": True,
                        "content": {"application/json": {"schema": _schema(meta["body"], components)}},
                    }
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "vehicle-enforce API", "version": "1", "description": "柴油车与非道路移动机械排放执法"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _path_type(rule: Any, name: str) -> str:
    converter = rule._converters.get(name)
    return "integer" if converter is not None and type(converter).__name__ == "IntegerConverter" else "string"


def _responses(meta: dict[str, Any], components: dict[str, Any], *, public: bool) -> dict[str, Any]:
    error = {
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    ok: dict[str, Any] = {"description": "success"}
    if meta.get("response") is not None:
        ok["content"] = {"application/json": {"schema": _schema(meta["response"], components)}}
    responses: dict[str, Any] = {str(meta.get("status", 200)): ok}
    codes = (
        ["400", "404", "409", "413", "415", "422"]
        if public
        else ["400", "401", "403", "404", "409", "413", "415", "422"]
    )
    for code in codes:
        responses[code] = error
    return responses
