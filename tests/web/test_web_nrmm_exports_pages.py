"""NRMM registry and export status pages: reachable by their departments only, rendered in Chinese."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("department", "path", "expected"),
    [
        ("environment", "/ops/nrmm/", 200),
        ("housing", "/ops/nrmm/", 200),
        ("police", "/ops/nrmm/", 403),
        ("transport", "/ops/nrmm/", 403),
        ("environment", "/ops/exports/", 200),
        ("police", "/ops/exports/", 403),
        ("housing", "/ops/exports/", 403),
    ],
)
def test_nrmm_and_export_pages_by_department(app, make_user, department, path, expected):
    username, password = make_user(f"u-{department}", department)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": password})
    response = client.get(path)
    assert response.status_code == expected
    text = response.get_data(as_text=True)
    assert ("无权访问" in text) if expected == 403 else ("抽测计划" in text or "传输率" in text)


def test_anonymous_visitors_are_sent_to_login_from_export_status(app):
    response = app.test_client().get("/ops/exports/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
