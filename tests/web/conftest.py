"""Browser fixtures: the app served on loopback and Debian's chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import IN_CI, REPO_ROOT

SCREENSHOTS = Path(os.environ.get("VE_TEST_OUTPUT", REPO_ROOT / "test-output")) / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """Serve the test app on a free loopback port in a thread (same database as the test).

    CSRF protection, security headers and the Content-Security-Policy are those that ship: app_config
    sets no protection for tests that use this server."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # The job worker beside the server, as `vehicle-enforce serve` runs one: pages answer before the work.
    stop = threading.Event()
    worker = threading.Thread(target=_job_worker, args=(app, stop), daemon=True)
    worker.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        stop.set()
        worker.join(timeout=30)
        server.shutdown()
        thread.join(timeout=10)


def _job_worker(app: Any, stop: threading.Event) -> None:
    from vehicle_enforce.core import tasks

    while not stop.is_set():
        with app.app_context():
            if not tasks.work_off(app):
                stop.wait(0.1)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"chromium not found at {CHROMIUM} (make test installs Debian's chromium as root)"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


#: Reports each Content-Security-Policy violation on the console, where `_watched` collects it.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "CSP violation" in m or "Content Security Policy" in m]


@contextlib.contextmanager
def _watched(browser: Any, **options: Any) -> Iterator[Any]:
    """A page whose test fails if the page broke the Content-Security-Policy or threw a script error."""
    context = browser.new_context(locale="zh-CN", **options)
    context.add_init_script(CSP_REPORTER)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    messages: list[str] = []
    pg.on("console", lambda msg: messages.append(msg.text) if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: messages.append(f"script error: {exc}"))
    try:
        yield pg
    finally:
        context.close()
    broken = csp_violations(messages) + [m for m in messages if m.startswith("script error")]
    assert not broken, f"the page broke the Content-Security-Policy or its script failed: {broken}"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with _watched(browser, viewport={"width": 1280, "height": 900}) as pg:
        yield pg


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    with _watched(browser, viewport={"width": 390, "height": 844}, is_mobile=True) as pg:
        yield pg


def screenshot(pg: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def login(pg: Any, base: str, username: str, password: str) -> None:
    pg.goto(f"{base}/login")
    pg.fill("input[name=username]", username)
    pg.fill("input[name=password]", password)
    pg.click("button[type=submit]")
    pg.wait_for_load_state("networkidle")


def record_summary_penalty(pg: Any, decision_number: str, served_to: str, officer: str, cert: str) -> None:
    """On the open case page, as police: the summary procedure's penalty (当场处罚, one officer with a
    certificate, the decision handed over), confirmed in the dialog a step that changes the case opens."""
    form = "form:has(input[name=decision_number])"
    pg.fill(f"{form} input[name=decision_number]", decision_number)
    pg.select_option(f"{form} select[name=procedure]", "summary")
    pg.fill(f"{form} input[name=served_to]", served_to)
    pg.fill(f"{form} input[name=officer1_name]", officer)
    pg.fill(f"{form} input[name=officer1_cert]", cert)
    pg.click("button:has-text('录入处罚决定')")
    with pg.expect_navigation():
        pg.click("#decision-dialog [data-decision-ok]")


@pytest.fixture
def make_user(app: Any):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    def create(username: str, department: str, password: str = "browser-pass-1", **kwargs: Any) -> tuple[str, str]:
        services.create_user(
            UserIn(username=username, password=password, department=Department(department), **kwargs), actor=SYSTEM
        )
        transaction.commit()
        return username, password

    return create
