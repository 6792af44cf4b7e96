"""Every API operation shows a realistic example of its request and its answer, and each example is
valid against the schema the operation declares (so an example can never drift from the contract)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _problems(spec: dict[str, Any]) -> list[str]:
    problems = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            contents = []
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                contents.append(("request", body))
            for status, response in op["responses"].items():
                content = response.get("content", {}).get("application/json")
                if status.startswith("2") and content is not None:
                    contents.append((f"response {status}", content))
            for what, content in contents:
                examples = content.get("examples") or {}
                if not examples:
                    problems.append(f"{where}: no {what} example")
                    continue
                schema = dict(content["schema"], components=spec["components"])
                validator = Draft202012Validator(schema)
                for name, example in examples.items():
                    for error in validator.iter_errors(example["value"]):
                        problems.append(f"{where}: {what} example {name!r}: {error.message} at {list(error.path)}")
    return problems


def test_every_operation_has_request_and_response_examples_valid_against_its_schemas(spec: dict[str, Any]) -> None:
    problems = _problems(spec)
    assert not problems, "\n".join(problems)
