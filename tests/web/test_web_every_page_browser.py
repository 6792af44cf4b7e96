"""Acceptance: every /ops page each demo login can reach, walked in Chromium on a desktop, as the person sees
it (the whole page: menu, header, main) — no English word outside the allow-list below, every time in
Beijing time to the minute, no request to any host but the server, and the menu on every page.

The walk starts at the home page and follows every link to a page (the menu, the lists' rows and
filters, the detail pages) up to PAGES_PER_LOGIN pages; the English API reference (/api/docs) is left out.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from tests.web.conftest import CSP_REPORTER, SCREENSHOTS, screenshot
from tests.web.test_web_every_page_chinese import DEMO_LOGINS, assert_beijing_times, demo_county, utc_minutes

__all__ = ["demo_county"]  # the fixture, imported for this module's test

#: ASCII words of three or more letters a page may show. Keep it tight: each is a code or a unit, never a label.
#: Besides these, text inside an element marked translate="no" is data shown as recorded (login names on the
#: admin's user page, token names, audit action codes) and is not checked.
ALLOWED_WORDS = frozenset(
    {
        # keys as printed on the keyboard (键盘操作：Tab 在按钮间切换，Esc 取消)
        "Tab", "Esc", "Enter",
        # formats and protocols named on pages (导出 XLSX, 接口 JSON)
        "XLSX", "CSV", "JSON", "PDF", "HTTP", "Excel", "OpenAPI", "Bearer",
        # text encodings a file may come in (CSV（UTF-8 或 GBK 编码）)
        "GBK",
        # emission units and quantities (烟度 m⁻¹, NOx ppm, 额定功率 kW, HC ppm)
        "ppm", "NOx",
        # identifiers of machines and vehicles (机械 PIN, 车辆识别代号 VIN)
        "PIN", "VIN",
    }
)  # fmt: skip
WORD = re.compile(r"\b[A-Za-z]{3,}\b")
#: Codes shown as data (a station's code JC-RD-01, a plate, a document number, UTF-8): letters and digits, maybe
#: joined by dashes, with at least one digit. A word of letters alone is never a code.
CODE = re.compile(r"\b(?=[A-Za-z0-9-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\b")
PAGES_PER_LOGIN = 45
#: Every demo login, the city admin (whose menu holds every department's pages) included.
LOGINS = (*DEMO_LOGINS, "admin")
#: Links to files, not pages (downloads, photos, charts).
SKIPPED = re.compile(r"\.(csv|xlsx|pdf|png|svg|jpe?g|webp)(\?|$)|/(export|download)(\?|/|$)|/photo|format=xlsx")


#: Roman numerals: classes and stages of the standards (GB 36886-2018 III类, 国VI).
ROMAN = re.compile(r"[IVX]+")


def english_words(text: str) -> set[str]:
    return {w for w in WORD.findall(CODE.sub(" ", text)) if w not in ALLOWED_WORDS and not ROMAN.fullmatch(w)}


def _key(href: str) -> str:
    """A page by its path and the names (not values) of its query: one walk per kind of page."""
    parts = urlsplit(href)
    names = sorted({k for k, _ in parse_qsl(parts.query) if k != "cursor"})
    path = re.sub(r"/\d+(?=/|$)", "/<id>", parts.path)
    return f"{path}?{'&'.join(names)}"


def test_every_page_each_demo_login_reaches_is_chinese_local_and_self_contained(live_server, browser, demo_county):
    from vehicle_enforce.demo import DEMO_PASSWORD

    host = urlsplit(live_server).netloc
    utc_now = utc_minutes(*demo_county["loaded"])
    problems: list[str] = []
    report: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for username in LOGINS:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        context.add_init_script(CSP_REPORTER)
        requested: list[str] = []
        context.on("request", lambda req, log=requested: log.append(req.url))
        pg = context.new_page()
        pg.set_default_timeout(60000)  # a chart drawn on a busy machine
        try:
            pg.goto(f"{live_server}/login")
            pg.fill("input[name=username]", username)
            pg.fill("input[name=password]", DEMO_PASSWORD)
            pg.click("button[type=submit]")
            pg.wait_for_load_state("networkidle")
            menu = [h for h in pg.eval_on_selector_all("nav#menu a", "as => as.map(a => a.getAttribute('href'))")]
            walked = _walk(pg, live_server, username, utc_now, problems)
            report.append(f"{username}: {len(walked)} pages: {' '.join(walked)}")
            (SCREENSHOTS.parent / "every-page-walk.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
            kinds = {_key(w) for w in walked}
            unwalked = [h for h in menu if h.startswith("/ops/") and _key(h) not in kinds]
            assert not unwalked, f"{username}: the walk missed menu pages {unwalked}"
            missing = pg.goto(f"{live_server}/ops/no-such-page")  # a page that is not there: 不存在, in Chinese
            assert missing is not None and missing.status == 404
            assert pg.inner_text("#error h1") == "不存在" and not english_words(pg.inner_text("body")), username
            if username == "huanbao":
                screenshot(pg, "error-404-desktop")
        finally:
            context.close()
        foreign = sorted(
            {u for u in requested if urlsplit(u).scheme in ("http", "https") and urlsplit(u).netloc != host}
        )
        assert not foreign, f"{username}: requests to other hosts {foreign}"
    assert not problems, "\n".join(problems)


def _walk(pg, base: str, username: str, utc_now: set[str], problems: list[str]) -> list[str]:
    """Walk the pages from the home page; each page's English words are added to `problems` (one report for
    the whole walk), a wrong time or a missing menu fails at once."""
    queue, seen, walked = ["/"], {_key("/")}, []
    while queue and len(walked) < PAGES_PER_LOGIN:
        path = queue.pop(0)
        response = pg.goto(f"{base}{path}")
        assert response is not None and response.status in (200, 403, 404), f"{username} {path}: {response}"
        walked.append(path)
        where = f"{username} {path} ({response.status})"
        text = pg.inner_text("body")
        # Text marked translate="no" is data kept as recorded (a login name, a token's name, an action code).
        codes = " ".join(pg.locator("[translate=no]").all_inner_texts())
        words = english_words(text) - english_words(codes)
        if words:
            problems.append(f"{where}: English on the page {sorted(words)}")
        assert re.search(r"[\u4e00-\u9fff]", text), f"{where}: no Chinese"
        assert_beijing_times(text, where, utc_now)
        assert pg.locator("nav#menu a").count() >= 2, f"{where}: no menu"
        for href in pg.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))"):
            parts = urlsplit(href)
            if parts.netloc or parts.scheme or not parts.path.startswith("/ops/") or SKIPPED.search(href):
                continue
            key = _key(href)
            if key not in seen:
                seen.add(key)
                queue.append(href)
    return walked
