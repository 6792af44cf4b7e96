"""Login, logout and lockout in a real browser."""

from __future__ import annotations

import pytest

from tests.web.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_login_shows_the_department_home_in_chinese(live_server, page, make_user, backend):
    username, password = make_user("liu", "police", display_name="刘警官")
    login(page, live_server, username, password)
    assert page.url.rstrip("/") == live_server
    body = page.inner_text("body")
    assert "所属部门：公安交管" in body
    assert "退出" in body
    screenshot(page, f"login-home-police-{backend.name}")
    page.click("text=退出")
    page.wait_for_url(f"{live_server}/login")
    assert "已退出登录" in page.inner_text("body")


def test_wrong_password_is_refused_and_session_cookie_is_hardened(live_server, page, make_user):
    username, _ = make_user("zhao", "transport")
    login(page, live_server, username, "wrong-password")
    assert "用户名或密码错误" in page.inner_text("body")
    login(page, live_server, username, "browser-pass-1")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["session"]["httpOnly"] is True
    assert cookies["session"]["sameSite"] == "Lax"


def test_forms_without_csrf_token_are_refused(live_server, make_user):
    import requests

    username, password = make_user("qian", "environment")
    response = requests.post(f"{live_server}/login", data={"username": username, "password": password}, timeout=10)
    assert response.status_code == 400
