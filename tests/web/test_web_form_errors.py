"""One page error handler (#28): every page form, refused, is drawn again with the Chinese message
beside the field it is about, and never shows the English a service or a library wrote for the API.

The test walks the route table: every POST route of the page blueprints must declare the page that
shows its form (`core.forms.refused_redraws`); then, as each department that may use them, every form
those pages draw is posted with careless values in each visible field. A refusal must answer 4xx,
flash what was not done in Chinese, and put a Chinese message inside the label of a control of the
form (beside the field) when the form has fields. Not a list of cases: a new form page is walked too.
"""

from __future__ import annotations

import ast
import io
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.exports.test_exports_delivery import configure
from tests.passes import pass_body
from tests.web.test_web_form_fuzz import world  # noqa: F401  (the fixture: stations, a case, sessions)

PACKAGE = Path(__file__).resolve().parents[2] / "vehicle_enforce"
#: POST routes that are not form pages, and why.
NOT_FORMS = {
    "auth.login": "a refused login never says which of username and password was wrong",
    "auth.logout": "no input",
    "inbox_pages.read_all": "no input: 全部标为已读 is a button that cannot be refused",
    "admin_pages.unlock": "a button without fields, shown only for a locked account (test_web_admin_pages unlocks)",
    # Print buttons (no fields): their refusals redraw the page (refused_redraws); tests/documents posts them.
    "documents_pages.print_turn_back": "a print button, shown only with a test's result after a post",
    "documents_pages.print_case_notice": "a print button without fields (tests/documents/test_notices.py)",
    "documents_pages.print_spot_check": "a print button without fields (tests/documents/test_notices.py)",
}
CARELESS = "错" * 3000  # not a number, not a date, too long for every column, and no Latin letters
ENGLISH_WORD = re.compile(r"[a-z]{3,}")  # English text; format names (CSV, XLSX, JPEG) are fine


class _Forms(HTMLParser):
    """The page's POST forms: action, hidden values, visible controls and the first submit button."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = {"action": a.get("action", ""), "hidden": {}, "visible": [], "button": None, "files": []}
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            return
        elif tag == "input" and a.get("type") == "hidden":
            self._form["hidden"][a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "file":
            self._form["files"].append(a["name"])
        elif (tag == "input" and a.get("type") not in ("checkbox", "radio", "submit")) or tag in ("select", "textarea"):
            self._form["visible"].append(a["name"])
        elif tag == "button" and self._form["button"] is None:
            self._form["button"] = (a["name"], a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _errors_beside_fields(html: str) -> list[str]:
    """The messages shown inside a <label> together with the control they are about."""
    found = []
    for label in re.findall(r"<label\b[^>]*>(.*?)</label>", html, re.S):
        if re.search(r"<(input|select|textarea)\b[^>]*\bname=", label):
            found += re.findall(r'<span class="field-error"[^>]*>([^<]*)</span>', label)
    return found


def _flashed_errors(html: str) -> list[str]:
    return re.findall(r'<div class="flash error">([^<]*)</div>', html)


def _page_post_routes(app: Any) -> dict[str, Any]:
    return {
        rule.endpoint: rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and not rule.rule.startswith("/api/")
    }


def test_every_page_post_route_declares_the_page_that_shows_its_refusals(app: Any) -> None:
    routes = _page_post_routes(app)
    assert len(routes) >= 15
    undeclared = [
        endpoint
        for endpoint in routes
        if endpoint not in NOT_FORMS and getattr(app.view_functions[endpoint], "ve_refusal", None) is None
    ]
    assert not undeclared, f"page POST views without @refused_redraws: {undeclared}"


#: View functions that may catch a refusal, and why (none of them turns it into a message of its own).
CATCHERS = {
    # The photo read is not a refusal of the test: the form stays as typed, the catalogue explains.
    "inspections/views.py:_read_photo",
    # Gathers the form's and the readings schema's refusals, names each by its input, and raises again.
    "inspections/views.py:_test_from_form",
    # The check as the operator types: the refusals saving would raise, as JSON for roadside.js (the
    # catalogue's words, unchanged).
    "inspections/views.py:check_roadside_test",
}


def test_no_view_module_maps_refusals_to_messages_itself() -> None:
    """Views raise; only the page error handler (core.errors) and its catalogue (core.messages) explain."""
    catchers = set()
    for path in sorted(PACKAGE.glob("*/*views.py")):
        rel = str(path.relative_to(PACKAGE))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ExceptHandler) and node.type is not None:
                    names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                    if names & {"ServiceError", "FormError", "FormInvalid"}:
                        catchers.add(f"{rel}:{func.name}")
    assert catchers <= CATCHERS, f"views catching refusals (raise them; the page error handler explains): {catchers}"


@pytest.fixture
def every_form(app: Any, world: dict[str, Any], station_factory: Any, auth_headers: Any, client: Any) -> dict:  # noqa: F811
    """The fuzz world, plus what makes the forms appear: an alert in force, a rules change not yet in
    force, machines to sample, a failed export record and an open plate-match review."""
    from sqlalchemy import update

    from vehicle_enforce.alerts import services as alert_services
    from vehicle_enforce.alerts.schemas import AlertIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM, system
    from vehicle_enforce.core.timeutil import local_day, now_utc
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db
    from vehicle_enforce.nrmm import services as nrmm_services
    from vehicle_enforce.nrmm.schemas import MachineIn

    env = world["sessions"]["environment"]
    alert_services.issue(
        AlertIn(level="orange", starts_at=now_utc() - timedelta(hours=1), ends_at=now_utc() + timedelta(days=1)),
        actor=system("环境局"),
    )
    for i in range(3):
        nrmm_services.register_machine(
            MachineIn(
                pin=f"PIN-FORM-{i}",
                machine_type="excavator",
                emission_stage=2,
                fuel="diesel",
                rated_power_kw=75.0,
                registered_on=now_utc().date(),
            ),
            actor=SYSTEM,
        )
    transaction.commit()
    tomorrow = (local_day(now_utc()) + timedelta(days=1)).isoformat()
    listing = {"section": "listing", "min_exceeding_passes": "3", "window_days": "90", "reason": "测试"}
    assert env.post("/ops/rules/changes", data=listing | {"effective_from": tomorrow}).status_code == 302
    configure(app, "http://127.0.0.1:9")  # the pass below is queued for the provincial platform
    station_factory("JC-RS-01", "remote_sensing")
    body = pass_body("FORM-1", (now_utc() - timedelta(hours=1)).isoformat(), plate="晋E1234S", opacity_pct=55.0)
    station = auth_headers("station", station="JC-RS-01")
    posted = client.post("/api/v1/remote-sensing/passes", json=body, headers=station)
    assert posted.status_code in (200, 201), posted.get_json()
    db.session.execute(update(ExportRecord).values(status="failed", attempts=8))
    transaction.commit()
    return world


def _page_url(app: Any, page: Any, data: dict[str, Any]) -> str:
    from flask import url_for

    endpoint = next(e for e, view in app.view_functions.items() if view is page)
    with app.test_request_context():
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        args = {"case_id": data["case_id"]} if "case_id" in rule.arguments else {}
        return url_for(endpoint, **args)


@pytest.mark.commits  # its own app: the export target is configured on it
def test_every_refused_page_form_shows_chinese_beside_the_field(app: Any, every_form: dict[str, Any]) -> None:
    routes = _page_post_routes(app)
    walked: set[str] = set()
    refused = _walk(app, every_form, walked)
    # Some forms show only in a later state: the month's plan form until the plan is drawn (by the first
    # walk, which posts it), its items' forms after.
    refused += _walk(app, every_form, walked)
    missing = set(routes) - set(NOT_FORMS) - walked
    assert not missing, f"form pages whose form the walk never found (add its data to every_form): {missing}"
    assert refused >= 10


def _walk(app: Any, data: dict[str, Any], walked: set[str]) -> int:
    """Post every form of every form page, as each department that sees it, with careless values."""
    routes = _page_post_routes(app)
    pages = {app.view_functions[e].ve_refusal[0] for e in routes if e not in NOT_FORMS}
    adapter = app.url_map.bind("localhost")
    refused_with_fields = 0
    for page in pages:
        url = _page_url(app, page, data)
        for dept, session in data["sessions"].items():
            got = session.get(url)
            if got.status_code != 200:
                continue  # not this department's page
            # Forms with fields first: a form without any (lift an alert, confirm a match) goes through and
            # changes what the page draws.
            for form in sorted(_forms(got.get_data(as_text=True)), key=lambda f: not (f["visible"] or f["files"])):
                action = form["action"] or url
                endpoint, _args = adapter.match(action, method="POST")
                if endpoint in NOT_FORMS:
                    continue
                walked.add(endpoint)
                sent: dict[str, Any] = dict(form["hidden"]) | dict.fromkeys(form["visible"], CARELESS)
                if form["button"] and form["button"][0] != "action":
                    sent[form["button"][0]] = form["button"][1]
                for name in form["files"]:
                    sent[name] = (io.BytesIO("不是数据文件".encode()), "说明.txt")
                res = session.post(action, data=sent, content_type="multipart/form-data")
                where = (endpoint, dept, action)
                assert res.status_code < 500, where
                html = res.get_data(as_text=True)
                if res.status_code < 400:
                    continue  # careless values that are still acceptable there (free text, a resend)
                flashed = _flashed_errors(html)
                assert flashed, ("a refusal says what was not done", where)
                assert not any(ENGLISH_WORD.search(m) for m in flashed), (flashed, where)
                beside = _errors_beside_fields(html)
                assert not any(ENGLISH_WORD.search(m) or not m.strip() for m in beside), (beside, where)
                if form["visible"] or form["files"]:
                    assert beside, ("a refused field gets its message beside it", where, flashed)
                    refused_with_fields += 1
    return refused_with_fields
