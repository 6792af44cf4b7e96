"""Batch bodies are read in one pass over the raw bytes; bodies that may hide a character take the
ordinary path, so the answer is the same either way."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vehicle_enforce.core import schemas

READS = [{"plate": "晋E12345", "plate_color": "yellow"}, {"plate": "晋E54321", "plate_color": "blue"}]


@pytest.fixture
def ordinary_path(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each time a batch falls back to `parse_body`."""
    calls: list[str] = []
    original = schemas.parse_body

    def spy(model: Any) -> Any:
        calls.append(model.__name__)
        return original(model)

    monkeypatch.setattr(schemas, "parse_body", spy)
    return calls


def _post(client: Any, headers: dict[str, str], text: str) -> Any:
    return client.post(
        "/api/v1/hotlist/check", data=text.encode(), headers={**headers, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("ascii_only", [False, True], ids=["utf8", "escaped"])
def test_a_clean_batch_is_read_in_one_pass_whether_or_not_its_text_is_escaped(
    client: Any, auth_headers: Any, ordinary_path: list[str], ascii_only: bool
) -> None:
    body = json.dumps({"checkpoint": "JC-KK-03", "reads": READS}, ensure_ascii=ascii_only)
    response = _post(client, auth_headers("police"), body)
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["index"] for r in results] == [0, 1] and {r["status"] for r in results} == {"ok"}
    assert ordinary_path == []


@pytest.mark.parametrize("hidden", ["\u202e", "\x00", "\x08"], ids=["bidi", "nul", "backspace"])
@pytest.mark.parametrize("ascii_only", [False, True], ids=["utf8", "escaped"])
def test_a_hidden_character_literal_or_escaped_is_refused_naming_the_field(
    client: Any, auth_headers: Any, ordinary_path: list[str], hidden: str, ascii_only: bool
) -> None:
    reads = [READS[0], {"plate": f"晋E{hidden}54321", "plate_color": "blue"}]
    body = json.dumps({"checkpoint": "JC-KK-03", "reads": reads}, ensure_ascii=ascii_only)
    response = _post(client, auth_headers("police"), body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"} and "reads.1.plate" in error["fields"]
    assert ordinary_path == ["BatchCheck"]


def test_a_body_the_one_pass_refuses_gets_the_ordinary_answer(
    client: Any, auth_headers: Any, ordinary_path: list[str]
) -> None:
    response = _post(client, auth_headers("police"), json.dumps({"reads": READS, "extra": 1}))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"extra": "unknown field"}
    assert ordinary_path == ["BatchCheck"]
    assert _post(client, auth_headers("police"), "{not json").get_json()["error"]["code"] == "bad_request"
