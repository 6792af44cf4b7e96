"""No test runs with CSRF protection off: page-form tests post the token as a browser does.

The class this guards: a test configuration (a fixture, an app a test builds, a route it adds) that
switches CSRF off, so every form test passes whether or not the shipped app checks tokens.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

TESTS = Path(__file__).resolve().parents[1]
#: Every way a test could turn the protection off: the settings, and exempting a view or blueprint.
SWITCHES = re.compile(r"WTF_CSRF_(ENABLED|CHECK_DEFAULT|METHODS)|csrf\.exempt|csrf_exempt|CSRFProtect\(")


def test_no_test_configuration_switches_csrf_off():
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if SWITCHES.search(line):
                found.append(f"{path.relative_to(TESTS.parent)}:{number}: {line.strip()}")
    assert found == [], "tests must run with CSRF protection as shipped:\n" + "\n".join(found)


def _refused_without_token(app) -> None:
    plain = FlaskClient(app, app.response_class, use_cookies=True)  # no token, as a forged cross-site post
    r = plain.post("/login", data={"username": "nobody", "password": "whatever-pass-1"})
    assert r.status_code == 400, r.status_code
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert app.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True


def test_the_shared_test_app_refuses_a_form_without_token(app, client):
    _refused_without_token(app)
    # ...and the page client posts the token its session's pages carry, so the same post goes through.
    assert client.post("/login", data={"username": "nobody", "password": "whatever-pass-1"}).status_code == 401


def test_an_app_a_test_builds_from_app_config_refuses_a_form_without_token(app_config):
    from vehicle_enforce import create_app
    from vehicle_enforce.extensions import db

    built = create_app(app_config)
    with built.app_context():
        try:
            _refused_without_token(built)
        finally:
            db.session.remove()
            db.engine.dispose()
