"""A body naming a record that does not exist is refused with a 4xx that names the field, never a 500.

Walks every API operation with a JSON body: its documented request example (valid against its schema,
`test_openapi_examples.py`) is sent with each integer `*_id` field in turn pointing at no stored row, as
each department allowed to call it. The services check the references they know; a foreign key the
database enforces underneath is answered by `core.errors.integrity_refusal` (422, the column named on
PostgreSQL), so a forgotten check is still a refusal, not a crash.
"""

from __future__ import annotations

import copy
import re
from typing import Any

MISSING = 2**31 - 1


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_integer(prop: dict[str, Any]) -> bool:
    return prop.get("type") == "integer" or any(p.get("type") == "integer" for p in prop.get("anyOf", []))


def _id_fields(schema: dict[str, Any], components: dict[str, Any]) -> list[str]:
    schema = _resolve(schema, components)
    return sorted(
        name for name, prop in schema.get("properties", {}).items() if name.endswith("_id") and _is_integer(prop)
    )


def test_every_body_id_naming_no_record_is_refused_with_the_field_named(client: Any, auth_headers: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    components = spec["components"]["schemas"]
    walked, problems = [], []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None or not content.get("examples"):
                continue
            [example] = [e["value"] for e in content["examples"].values()][:1]
            fields = [f for f in _id_fields(content["schema"], components) if isinstance(example, dict)]
            url = re.sub(r"\{[^}]+\}", "1", path)
            for field in fields:
                body = copy.deepcopy(example)
                body[field] = MISSING
                for department in op.get("x-departments", []):
                    if department in ("station", "public"):
                        continue  # a station token names its own station; no body id of another table
                    response = client.open(url, method=method.upper(), json=body, headers=auth_headers(department))
                    walked.append((method, path, field, department))
                    where = f"{method.upper()} {path} {field}={MISSING} as {department}"
                    if response.status_code >= 500:
                        problems.append(f"{where}: {response.status_code}")
                        continue
                    if response.status_code < 400:
                        continue  # an id the operation may leave unresolved (a filter, an optional link)
                    error = (response.get_json() or {}).get("error")
                    if not error or set(error) != {"code", "message", "fields"}:
                        problems.append(f"{where}: {response.status_code} without the error shape")
                    elif response.status_code in (404, 409, 422) and not error["fields"]:
                        problems.append(f"{where}: {response.status_code} names no field")
    assert len(walked) >= 10, walked
    assert not problems, "\n".join(problems)
