"""Golden response keys: no API client breaks.

`tests/api/golden/<blueprint>.json` records, per operation (`METHOD /rule`) and HTTP status, the keys
every response of that operation carried when the files were recorded: the top-level keys, the keys
of every item of a top-level list (`lists`) and of every top-level object (`objects`). Only keys present
in *every* recorded response are kept (an intersection), so a recorded key is one clients can rely on.

Every test that calls the API checks its responses against these files (a pytest plugin loaded by
`tests/conftest.py`): a response that lacks a recorded key fails the test that made it. New keys are
fine (a new response is a superset); removing or renaming one needs the compatibility rule in
`CHANGELOG.md` (the old key kept for one release with a `Deprecation` header).

Record (only to add operations, never to drop a key): `VE_GOLDEN_RECORD=1 .venv/bin/python -m pytest
tests/...` intersects what it sees with the files already there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
RECORD = os.environ.get("VE_GOLDEN_RECORD", "") == "1"

#: Objects whose keys are data, not a contract (counts per status, readings per test method, the rule
#: document's changed parts, the document's paths): their keys are not recorded.
DATA_KEYED = frozenset({"status_counts", "readings", "values", "document", "paths"})

_seen: dict[str, dict[str, dict[str, Any]]] = {}  # blueprint -> operation -> status -> shape
_violations: list[str] = []
_golden_cache: dict[str, dict[str, Any]] = {}


def shape_of(body: Any) -> dict[str, Any]:
    """Top-level keys, item keys of top-level lists, keys of top-level objects."""
    if isinstance(body, list):
        body = {"$": body}
    if not isinstance(body, dict):
        return {"keys": [], "lists": {}, "objects": {}}
    lists: dict[str, list[str] | None] = {}
    objects: dict[str, list[str] | None] = {}
    for key, value in body.items():
        if isinstance(value, list):
            items = [item for item in value if isinstance(item, dict)]
            if items and len(items) == len(value):
                common = set(items[0])
                for item in items[1:]:
                    common &= set(item)
                lists[key] = sorted(common)
            elif value:
                lists[key] = None  # not a list of objects: nothing to record
        elif isinstance(value, dict):
            if key not in DATA_KEYED:
                objects[key] = sorted(value)
        else:
            objects[key] = None
    return {
        "keys": sorted(k for k in body if k != "$"),
        "lists": {k: v for k, v in lists.items() if v is not None},
        "objects": {k: v for k, v in objects.items() if v is not None},
        "_unknown": sorted([k for k, v in lists.items() if v is None] + [k for k, v in objects.items() if v is None]),
    }


def merge(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """Intersection of two recorded shapes (a list or object seen empty or absent stays unknown)."""
    if old is None:
        return {k: v for k, v in new.items() if k != "_unknown"} | {"_unknown": new.get("_unknown", [])}
    unknown = set(old.get("_unknown", [])) | set(new.get("_unknown", []))
    merged: dict[str, Any] = {"keys": sorted(set(old["keys"]) & set(new["keys"]))}
    for part in ("lists", "objects"):
        out = {}
        for key in set(old[part]) | set(new[part]):
            if key in old[part] and key in new[part]:
                out[key] = sorted(set(old[part][key]) & set(new[part][key]))
            elif key in merged["keys"] and key not in unknown:
                # seen as a list/object once and empty elsewhere: keep what was seen
                out[key] = old[part].get(key, new[part].get(key))
        merged[part] = dict(sorted(out.items()))
    merged["_unknown"] = sorted(unknown)
    return merged


def missing_keys(golden: dict[str, Any], body: Any) -> list[str]:
    """Recorded keys that `body` lacks, as dotted paths (`results[].plate`, `vehicle.id`)."""
    if isinstance(body, list):
        body = {"$": body}
    if not isinstance(body, dict):
        return ["<body is not a JSON object>"]
    missing = [k for k in golden["keys"] if k not in body]
    for key, expected in golden["lists"].items():
        value = body.get(key)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    missing += [f"{key}[].{k}" for k in expected if k not in item]
    for key, expected in golden["objects"].items():
        if key in DATA_KEYED:
            continue
        value = body.get(key)
        if isinstance(value, dict):
            missing += [f"{key}.{k}" for k in expected if k not in value]
    return sorted(set(missing))


def golden_for(blueprint: str) -> dict[str, Any]:
    if blueprint not in _golden_cache:
        path = GOLDEN_DIR / f"{blueprint}.json"
        _golden_cache[blueprint] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    return _golden_cache[blueprint]


def _on_response(sender: Any, response: Any, **_extra: Any) -> None:
    from flask import request

    rule = request.url_rule
    if rule is None or not rule.rule.startswith("/api/v1/") or response.is_streamed or not response.is_json:
        return
    body = response.get_json(silent=True)
    if body is None:
        return
    blueprint = rule.endpoint.split(".")[0]
    operation = f"{request.method} {rule.rule}"
    status = str(response.status_code)
    if RECORD:
        ops = _seen.setdefault(blueprint, {}).setdefault(operation, {})
        ops[status] = merge(ops.get(status), shape_of(body))
        return
    golden = golden_for(blueprint).get(operation, {}).get(status)
    if golden is None:
        return
    missing = missing_keys(golden, body)
    if missing:
        _violations.append(f"{operation} → {status} lacks recorded keys {missing}")


def pytest_configure(config: pytest.Config) -> None:
    from flask import request_finished

    request_finished.connect(_on_response)


@pytest.fixture(autouse=True)
def _golden_response_keys() -> Any:
    """Fail a test whose API responses lack a key recorded in tests/api/golden/."""
    _violations.clear()
    yield
    if _violations:
        found = list(_violations)
        _violations.clear()
        pytest.fail("responses break the golden keys (tests/api/golden/):\n" + "\n".join(found), pytrace=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not RECORD or not _seen:
        return
    GOLDEN_DIR.mkdir(exist_ok=True)
    for blueprint, operations in _seen.items():
        path = GOLDEN_DIR / f"{blueprint}.json"
        stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        for operation, statuses in operations.items():
            for status, shape in statuses.items():
                old = stored.setdefault(operation, {}).get(status)
                stored[operation][status] = shape if old is None else merge(old, shape)
        ordered = {op: dict(sorted(st.items())) for op, st in sorted(stored.items())}
        path.write_text(json.dumps(ordered, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
