"""The Deprecation rule: a renamed response key stays for one release, with the header."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, jsonify

from vehicle_enforce.core.compat import deprecate, renamed_keys


def _app() -> Flask:
    app = Flask(__name__)

    @app.get("/renamed")
    @renamed_keys(date(2026, 12, 7), plate_no="plate")
    def renamed() -> Any:
        return jsonify({"plate": "晋E12345", "id": 1}), 201

    @app.get("/plain")
    def plain() -> Any:
        return deprecate(jsonify({"ok": True}), date(2026, 12, 7))

    return app


def test_a_renamed_key_keeps_the_old_one_with_a_deprecation_header() -> None:
    response = _app().test_client().get("/renamed")
    assert response.status_code == 201
    assert response.get_json() == {"plate": "晋E12345", "plate_no": "晋E12345", "id": 1}
    assert response.headers["Deprecation"] == "@1796601600"  # 2026-12-07T00:00:00Z
    assert 'rel="deprecation"' in response.headers["Link"]


def test_deprecate_marks_any_response() -> None:
    response = _app().test_client().get("/plain")
    assert response.get_json() == {"ok": True} and response.headers["Deprecation"] == "@1796601600"
