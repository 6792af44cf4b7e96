"""The OpenAPI document is valid OpenAPI 3.1 and complete for every operation; /api/docs is local."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

ERRORS = {"400", "401", "403", "404", "409", "413", "415", "422", "429"}
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture
def spec(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)  # raises on the first structural or schema error


def test_every_app_built_in_one_process_serves_the_same_valid_document(app_config: dict[str, Any]) -> None:
    """A second app (a worker beside the web app, the tests' two backends) must not get a broken document."""
    from vehicle_enforce import create_app

    documents = []
    for _ in range(2):
        with create_app(dict(app_config)).test_client() as client:
            response = client.get("/api/v1/openapi.json")
            assert response.status_code == 200
            documents.append(response.get_json())
    validate(documents[1])
    assert documents[0] == documents[1]


def test_every_route_is_documented_with_openapi_path_syntax(spec: dict[str, Any], app: Any) -> None:
    documented = {(path, method) for path, method, _ in _operations(spec)}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)
    assert all("<" not in path and ">" not in path for path in spec["paths"])
    assert "/api/v1/evidence/{sha256}" in spec["paths"]
    [param] = spec["paths"]["/api/v1/evidence/{sha256}"]["get"]["parameters"]
    assert param == {"name": "sha256", "in": "path", "required": True, "schema": {"type": "string"}}


def test_every_operation_declares_success_errors_summary_tag_and_examples(spec: dict[str, Any], app: Any) -> None:
    domains = {
        view.__module__.split(".")[1]
        for view in app.view_functions.values()
        if view.__module__.startswith("vehicle_enforce.") and view.__module__.endswith(".api")
    }
    assert {"alerts", "blacklist", "cases", "inspections", "vehicles"} <= domains
    for path, method, op in _operations(spec):
        where = f"{method.upper()} {path}"
        responses = op["responses"]
        assert any(code.startswith("2") for code in responses), where
        public = op["security"] == []
        expected = ERRORS - {"401", "403"} if public else ERRORS
        assert expected <= set(responses), (where, expected - set(responses))
        for code in expected:
            content = responses[code]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/Error"}, where
            [example] = content["examples"].values()
            assert set(example["value"]["error"]) == {"code", "message", "fields"}, where
        [tag] = op["tags"]
        assert tag in domains | {"core"}, where
        assert CJK.search(op["summary"]) and LATIN.search(op["summary"]), (where, op["summary"])
        assert op["operationId"].endswith("." + method), where
        if not public:
            assert op["security"] == [{"bearer": []}] and op["x-departments"], where
    assert [t["name"] for t in spec["tags"]] == sorted(t["name"] for t in spec["tags"])
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]


def test_docs_page_renders_the_document_from_local_assets_only(client: Any) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "swagger-ui" in page and "/api/v1/openapi.json" in page
    assert not re.search(r"(?:https?:)?//(?!localhost\b)[a-z0-9.-]+\.[a-z]{2,}", page), "the page names another host"
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', page)
    local = [a for a in assets if "/api/docs/assets/" in a or a.endswith("api_docs.js")]
    assert len(local) >= 4, assets
    for asset in assets:
        if asset.startswith("/api/v1/"):
            continue
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.get_data()) > 0, asset
    init = client.get("/static/api_docs.js").get_data(as_text=True)
    assert "validatorUrl: null" in init and "http" not in init
    assert client.get("/api/docs/assets/index.html").status_code == 404  # only the files the page loads
