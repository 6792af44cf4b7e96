"""Every page, for every department, on the demo county: it renders (or refuses with the Chinese 403
page) and its main content has no untranslated English.

The browser tests walk each department's main flow; this sweep covers the pages those flows do not
click through, so a new page with an English label or a 500 fails here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.web.test_web_departments import ALLOWED, ENGLISH

DEMO_LOGINS = (
    "huanbao",
    "jiaojing",
    "jiaotong",
    "zhujian",
    "bagong",
    "zhandian",
    "luce",
    "shihuanbao",
    "gaoping",
    "mishan",
)


class _MainText(HTMLParser):
    """Visible text inside <main>, without scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth += 1
        elif tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.depth -= 1
        elif tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if self.depth > 0 and self.skip == 0:
            self.parts.append(data)


def main_text(html: str) -> str:
    parser = _MainText()
    parser.feed(html)
    return " ".join(parser.parts)


def page_routes(app) -> list[str]:
    """GET pages that take no URL arguments (API, static files and auth endpoints aside)."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments:
            continue
        path = rule.rule
        if path.startswith(("/api/", "/static", "/healthz", "/readyz", "/metrics", "/logout")):  # not pages
            continue
        routes.append(path)
    return sorted(routes)


@pytest.fixture
def demo_county(app, runner):
    result = runner.invoke(["demo", "load", "--vehicles", "300"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_every_page_renders_in_chinese_for_each_department(app, demo_county, username):
    from vehicle_enforce.demo import DEMO_PASSWORD

    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    routes = page_routes(app)
    assert "/ops/rules/" in routes and "/ops/alerts/" in routes  # the sweep sees the pages it should
    seen_ok = 0
    for path in routes:
        r = client.get(path)
        assert r.status_code in (200, 302, 403), f"{username} GET {path}: {r.status_code}"
        if r.status_code == 302 or r.mimetype != "text/html":
            continue
        text = main_text(r.get_data(as_text=True))
        assert re.search(r"[\u4e00-\u9fff]", text), f"{username} GET {path}: no Chinese text in <main>"
        words = {w for w in ENGLISH.findall(text) if w not in ALLOWED and w != username}  # login names are codes
        assert not words, f"{username} GET {path} ({r.status_code}): untranslated English {sorted(words)}"
        seen_ok += r.status_code == 200
    assert seen_ok >= 3, f"{username} could open only {seen_ok} pages"
