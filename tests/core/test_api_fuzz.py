"""Property-based fuzzing of the whole JSON API from its own OpenAPI document (schemathesis).

For every operation and every department's token: no 5xx, every 4xx in the documented error shape,
and a rejected request leaves the database unchanged. CI runs a bounded number of examples
(VE_FUZZ_EXAMPLES, default 5); a longer run: `VE_FUZZ_EXAMPLES=200 .venv/bin/python -m pytest
tests/core/test_api_fuzz.py`.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import REPO_ROOT  # noqa: F401  (keeps the repo on sys.path for the app import)

EXAMPLES = int(os.environ.get("VE_FUZZ_EXAMPLES", "5"))
DEPARTMENTS = ["environment", "police", "transport", "housing", "township", "station", "admin"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app on a migrated SQLite file, with one token per department (shared by all examples)."""
    from vehicle_enforce import create_app
    from vehicle_enforce.auth import services
    from vehicle_enforce.core import migrate, transaction
    from vehicle_enforce.inspections import stations

    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'fuzz.sqlite3'}"
    migrate.upgrade(url)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "fuzz",
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        stations.create_station(code="JC-RS-01", kind="remote_sensing", name="fuzz station")
        tokens = {}
        for dept in DEPARTMENTS:
            kwargs = {"station": "JC-RS-01"} if dept == "station" else {}
            if dept == "township":
                kwargs = {"township": "巴公镇"}
            tokens[dept] = services.create_token(f"fuzz-{dept}", dept, **kwargs).secret
        transaction.commit()
    app.config["FUZZ_TOKENS"] = tokens
    return app


def _row_counts(app):
    """Every table's row count in one query (a rejected request must leave them all unchanged)."""
    from sqlalchemy import text

    from vehicle_enforce.core.db import Base
    from vehicle_enforce.extensions import db

    names = [t.name for t in Base.metadata.sorted_tables]
    sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{n}")' for n in names)
    with app.app_context():
        counts = dict(zip(names, db.session.execute(text(sql)).one(), strict=True))
        db.session.remove()
    return counts


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.slow
def test_api_never_fails_and_rejections_change_nothing(fuzz_app):
    operations = _operations(fuzz_app)
    assert len(operations) >= 5
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=operation.as_strategy())
        def check(case):
            for department in DEPARTMENTS:
                _check_one(case, department, fuzz_app)

        check()


def _check_one(case, department, fuzz_app):
    token = fuzz_app.config["FUZZ_TOKENS"][department]
    before = _row_counts(fuzz_app)
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
    if 400 <= response.status_code < 500:
        body = response.json()
        assert set(body) == {"error"}, body
        assert {"code", "message", "fields"} <= set(body["error"]), body
        after = _row_counts(fuzz_app)
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and t != "audit_log"}
        assert not changed, f"rejected {case.method} {case.formatted_path} changed {changed}"
