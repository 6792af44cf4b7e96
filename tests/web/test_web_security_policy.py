"""The browser tests run under the shipped Content-Security-Policy, and a violation fails them."""

from __future__ import annotations

import pytest

from tests.web.conftest import CSP_REPORTER, csp_violations

pytestmark = pytest.mark.browser


def test_inline_script_is_blocked_and_reported_as_a_violation(live_server, browser):
    """What `page` watches for: an inline script added to a served page is refused and reported."""
    context = browser.new_context(locale="zh-CN")
    context.add_init_script(CSP_REPORTER)
    pg = context.new_page()
    messages: list[str] = []
    pg.on("console", lambda msg: messages.append(msg.text) if msg.type == "error" else None)
    try:
        response = pg.goto(f"{live_server}/login")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        pg.evaluate(
            """() => { const s = document.createElement("script");
                       s.textContent = "window.injected = 1"; document.body.appendChild(s); }"""
        )
        pg.wait_for_timeout(300)
        assert pg.evaluate("() => window.injected") is None
        assert csp_violations(messages), messages
    finally:
        context.close()


def test_pages_script_runs_from_the_static_file(live_server, page, make_user):
    """app.js (no inline script) loads under the policy; the watched page would fail on a violation."""
    from tests.web.conftest import login

    username, password = make_user("csp-user", "environment")
    login(page, live_server, username, password)
    page.goto(f"{live_server}/ops/alerts/")
    scripts = page.evaluate("() => Array.from(document.scripts).map(s => [s.src, s.textContent.trim()])")
    assert [src for src, _ in scripts if src.endswith("/static/app.js")], scripts
    assert all(src and not text for src, text in scripts), f"inline script on the page: {scripts}"
