"""Every page, for every department, on the demo county: it renders (or refuses with the Chinese 403
page), its main content has no untranslated English, and every time it shows is Beijing time to the
minute (`2019-11-05 14:03`): no ISO text, no seconds, and never the UTC digits of the records the demo
has just written (listings, cases and their histories are stamped at load time).

The browser tests walk each department's main flow; this sweep covers the pages those flows do not
click through, so a new page with an English label or a 500 fails here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

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
    "admin",
)


class _MainText(HTMLParser):
    """Visible text inside <main>, without scripts and styles, nor identifiers marked `translate="no"`
    (HTML's own mark for text that is not language: login names, token names, codes as recorded)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.skip = 0
        self.parts: list[str] = []
        self.codes: list[list[Any]] = []  # [tag, open count] of each translate="no" element we are in

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.depth += 1
        elif tag in ("script", "style"):
            self.skip += 1
        if self.codes and self.codes[-1][0] == tag:
            self.codes[-1][1] += 1
        elif ("translate", "no") in attrs:
            self.codes.append([tag, 1])

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.depth -= 1
        elif tag in ("script", "style"):
            self.skip -= 1
        if self.codes and self.codes[-1][0] == tag:
            self.codes[-1][1] -= 1
            if self.codes[-1][1] == 0:
                self.codes.pop()

    def handle_data(self, data: str) -> None:
        if self.depth > 0 and self.skip == 0 and not self.codes:
            self.parts.append(data)


def main_text(html: str) -> str:
    parser = _MainText()
    parser.feed(html)
    return " ".join(parser.parts)


class _Menu(HTMLParser):
    """The entries of the department's menu (<nav id="menu">): (href, marked as the current page)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.entries: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "nav" and found.get("id") == "menu":
            self.inside = True
        elif tag == "a" and self.inside:
            self.entries.append((found.get("href") or "", found.get("aria-current") == "page"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.inside = False


def menu_entries(html: str) -> list[tuple[str, bool]]:
    parser = _Menu()
    parser.feed(html)
    return parser.entries


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
    from vehicle_enforce.core.timeutil import now_utc

    started = now_utc()
    result = runner.invoke(["demo", "load", "--vehicles", "300"])
    assert result.exit_code == 0, result.output
    return {"loaded": (started, now_utc())}


def utc_minutes(since, until) -> set[str]:
    """The UTC wall-clock minutes of a span, as a page would (wrongly) print them."""
    from datetime import timedelta

    minute = since.replace(second=0, microsecond=0)
    seen = set()
    while minute <= until + timedelta(minutes=1):
        seen.add(minute.strftime("%Y-%m-%d %H:%M"))
        minute += timedelta(minutes=1)
    return seen


ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
SECONDS = re.compile(r"\b\d{2}:\d{2}:\d{2}\b")


def assert_beijing_times(text: str, where: str, utc_now: set[str]) -> None:
    assert not ISO_TIME.search(text), f"{where}: an ISO time on the page: {ISO_TIME.search(text)}"
    assert not SECONDS.search(text), f"{where}: a time with seconds (pages show minutes): {SECONDS.search(text)}"
    shown_utc = sorted(m for m in utc_now if m in text)
    assert not shown_utc, f"{where}: shows the UTC time {shown_utc} of a record written now (Beijing is +8 h)"


@pytest.mark.parametrize("username", DEMO_LOGINS)
def test_every_page_renders_in_chinese_for_each_department(app, demo_county, username):
    from vehicle_enforce.demo import DEMO_PASSWORD

    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    routes = page_routes(app)
    assert "/ops/rules/" in routes and "/ops/alerts/" in routes  # the sweep sees the pages it should
    details = [f"/ops/cases/{case_id}" for case_id in _some_cases(app)]  # detail pages with their histories
    routes += details
    utc_now = utc_minutes(*demo_county["loaded"])
    seen_ok = 0
    for path in routes:
        r = client.get(path)
        # Another county's case is not found, as a missing one.
        assert r.status_code in (200, 302, 403, *((404,) if path in details else ())), f"{username} GET {path}"
        if r.status_code == 404:  # another county's case reads exactly as a missing one: 不存在
            missing = client.get("/ops/cases/987654321")
            assert missing.status_code == 404 and "不存在" in main_text(missing.get_data(as_text=True))
            assert main_text(r.get_data(as_text=True)) == main_text(missing.get_data(as_text=True)), path
        if r.status_code in (302, 404) or r.mimetype != "text/html":
            continue
        text = main_text(r.get_data(as_text=True))
        assert re.search(r"[\u4e00-\u9fff]", text), f"{username} GET {path}: no Chinese text in <main>"
        words = {w for w in ENGLISH.findall(text) if w not in ALLOWED and w != username}  # login names are codes
        assert not words, f"{username} GET {path} ({r.status_code}): untranslated English {sorted(words)}"
        assert_beijing_times(text, f"{username} GET {path}", utc_now)
        seen_ok += r.status_code == 200
    assert seen_ok >= 3, f"{username} could open only {seen_ok} pages"
    assert_menu_opens(client, username)


def assert_menu_opens(client, username: str) -> None:
    """The menu on every page lists the department's own pages: each opens for it (no 403), and on each the
    menu marks that very entry as the current page (the English API reference has no menu)."""
    home = menu_entries(client.get("/").get_data(as_text=True))
    assert home and home[0] == ("/", True), f"{username}: the home page's menu {home}"
    for href, _ in home[1:]:
        r = client.get(href)
        assert r.status_code == 200, f"{username}: menu entry {href} answers {r.status_code}"
        if href.startswith("/ops/"):
            entries = menu_entries(r.get_data(as_text=True))
            assert [h for h, _ in entries] == [h for h, _ in home], f"{username} {href}: the menu changed"
            assert [h for h, current in entries if current] == [href], f"{username} {href}: marked {entries}"


def _some_cases(app) -> list[int]:
    from sqlalchemy import select

    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.extensions import db

    with app.app_context():
        return list(db.session.scalars(select(Case.id).order_by(Case.id).limit(3)))


def test_every_notice_the_demo_sends_is_chinese(app, demo_county):
    """Notices reach inboxes and owners as they are written: no English codes (a plate colour) in them."""
    from sqlalchemy import select

    from vehicle_enforce.cases.models import Notice
    from vehicle_enforce.extensions import db

    with app.app_context():
        messages = list(db.session.scalars(select(Notice.message)))
    assert messages, "the demo sends notices"
    english = {w for m in messages for w in ENGLISH.findall(m) if w not in ALLOWED}
    assert not english, f"English in notices: {sorted(english)}"
