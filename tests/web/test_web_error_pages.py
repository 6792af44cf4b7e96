"""Every error a browser meets is one Chinese page in the app's frame (the menu when logged in) with a way back:
403, 404, 405, 413, a form whose CSRF token is missing or wrong (400) and 500 — on the app as
`vehicle-enforce serve` ships it (the live server: CSRF protection and the Content-Security-Policy on).
The API keeps answering JSON, whatever the client accepts."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import login, screenshot
from tests.web.test_web_departments import ALLOWED, ENGLISH


def assert_error_page(pg, status: int, title: str, *, framed: bool = True) -> None:
    error = pg.locator("#error")
    assert error.get_attribute("data-status") == str(status), pg.content()[:800]
    assert pg.locator("#error h1").inner_text() == title
    assert pg.locator("#error a#home").inner_text() == "返回首页"
    words = {w for w in ENGLISH.findall(pg.inner_text("body")) if w not in ALLOWED}
    assert not words, f"English on the {status} page: {sorted(words)}"
    assert re.search(r"[\u4e00-\u9fff]{4,}", pg.inner_text("#error p")), "the page says what happened in Chinese"
    assert (pg.locator("nav#menu").count() == 1) is framed, "the page sits in the app's frame with the menu"


def test_each_error_is_a_chinese_page_in_the_frame(live_server, page, make_user, app, monkeypatch):
    make_user("jing", "police", display_name="交警大队民警 李明")
    login(page, live_server, "jing", "browser-pass-1")

    # 404: a page that does not exist, and a record that does not exist (a case the police cannot see reads
    # the same: test_web_every_page_chinese compares the two for another county's case).
    page.goto(f"{live_server}/ops/police/hotlist")
    page.goto(f"{live_server}/ops/no-such-page")
    assert_error_page(page, 404, "不存在")
    page.click("#error a#home")
    assert page.url == f"{live_server}/"
    page.goto(f"{live_server}/ops/police/hotlist")
    with page.expect_navigation() as went:  # a link followed from the hotlist (the browser sends the Referer)
        page.evaluate("location.href = '/ops/cases/987654'")
    assert went.value.status == 404
    assert_error_page(page, 404, "不存在")
    page.click("#error a#back")  # 返回上一页: the page the person came from
    assert page.url == f"{live_server}/ops/police/hotlist"

    # 403: another department's page.
    response = page.goto(f"{live_server}/ops/exports/")
    assert response.status == 403
    assert_error_page(page, 403, "无权访问")
    screenshot(page, "error-403-desktop")

    # 405: an address that takes only a form's POST.
    response = page.goto(f"{live_server}/logout")
    assert response.status == 405
    assert_error_page(page, 405, "不支持此操作")

    # 500: a page whose code fails.
    def broken() -> None:
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "alert_pages.alerts", broken)
    response = page.goto(f"{live_server}/ops/alerts/")
    assert response.status == 500
    assert_error_page(page, 500, "服务器内部错误")
    assert "a bug" not in page.content()


def test_a_form_without_its_csrf_token_and_a_too_large_upload_answer_chinese_pages(
    live_server, page, phone_page, make_user, app, monkeypatch
):
    # A login form whose token is wrong (the page was open too long, or came from elsewhere).
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "nobody")
    page.fill("input[name=password]", "x")
    page.eval_on_selector("input[name=csrf_token]", "e => e.value = 'stale'")
    with page.expect_response(lambda r: r.url.endswith("/login")) as answered:
        page.click("button[type=submit]")
    assert answered.value.status == 400
    assert_error_page(page, 400, "页面已过期", framed=False)
    page.click("#error a#back")
    assert page.url.endswith("/login")

    # A missing token, logged in: the page keeps the menu.
    make_user("tong", "transport", display_name="交通局科员 王芳")
    login(phone_page, live_server, "tong", "browser-pass-1")
    phone_page.goto(f"{live_server}/ops/vehicles/import")
    phone_page.eval_on_selector_all("input[name=csrf_token]", "es => es.forEach(e => e.remove())")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    phone_page.set_input_files(
        "input[type=file]", files=[{"name": "vehicles.csv", "mimeType": "text/csv", "buffer": b"plate\n" * 10}]
    )
    with phone_page.expect_response(lambda r: "/ops/vehicles/import" in r.url and r.request.method == "POST") as ans:
        phone_page.locator("form button[type=submit]").last.click()
    assert ans.value.status == 400
    assert_error_page(phone_page, 400, "页面已过期")
    screenshot(phone_page, "error-csrf-phone")

    # An upload over the size limit (4 KB here; 32 MB as shipped).
    phone_page.goto(f"{live_server}/ops/vehicles/import")
    phone_page.set_input_files(
        "input[type=file]", files=[{"name": "vehicles.csv", "mimeType": "text/csv", "buffer": b"x" * 20000}]
    )
    with phone_page.expect_response(lambda r: "/ops/vehicles/import" in r.url and r.request.method == "POST") as ans:
        phone_page.locator("form button[type=submit]").last.click()
    assert ans.value.status == 413
    assert_error_page(phone_page, 413, "上传的内容过大")


@pytest.mark.parametrize("accept", [None, "text/html,application/xhtml+xml,*/*;q=0.8", "application/json"])
def test_the_api_answers_json_whatever_the_client_accepts(client, accept):
    headers = {"Accept": accept} if accept else {}
    r = client.get("/api/v1/no-such-thing", headers=headers)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    r = client.get("/ops/no-such-page", headers=headers)
    assert r.status_code == 404
    if accept == "application/json":  # a script asking a page address for JSON gets JSON
        assert r.get_json()["error"]["code"] == "not_found"
    else:
        assert r.mimetype == "text/html" and "不存在" in r.get_data(as_text=True)


def test_a_refusal_on_a_page_shows_only_chinese():
    """A constraint the database enforced answers bilingual text (API clients read both halves); a page shows
    the Chinese half. A value already held by another record is named so, not as a state conflict."""
    from vehicle_enforce.core import errors, messages

    refused = errors.Invalid(
        "引用的记录不存在 / a referenced record does not exist", {"site_id": "不存在 / no such record"}
    )
    assert messages.page_messages(refused) == ({"site_id": "不存在"}, "引用的记录不存在")
    taken = errors.Conflict("station JC-RD-09 exists", {"code": "already exists"})
    assert messages.page_messages(taken) == ({"code": "已存在"}, None)
    named = errors.Conflict("user 'wang' exists", {"username": "already taken"})  # a field's own words win
    assert messages.page_messages(named) == ({"username": "该登录名已被使用"}, None)
