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
from hypothesis import strategies as st

from tests.conftest import REPO_ROOT  # noqa: F401  (keeps the repo on sys.path for the app import)
from tests.passes import pass_body

EXAMPLES = int(os.environ.get("VE_FUZZ_EXAMPLES", "5"))
DEPARTMENTS = ["environment", "police", "transport", "housing", "township", "station", "admin"]


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """One app on a migrated SQLite file, with one token per department (shared by all examples)."""
    from vehicle_enforce import create_app
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import actors, migrate, transaction
    from vehicle_enforce.core.actors import SYSTEM
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
        }
    )
    with app.app_context():
        stations.create_station(
            code="JC-RS-01", kind="remote_sensing", name="fuzz station", actor=actors.system("test")
        )
        tokens = {}
        for dept in DEPARTMENTS:
            kwargs = {"station": "JC-RS-01"} if dept == "station" else {}
            if dept == "township":
                kwargs = {"township": "巴公镇"}
            tokens[dept] = services.create_token(
                TokenIn(name=f"fuzz-{dept}", department=Department(dept), **kwargs), actor=SYSTEM
            ).secret
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


def _admitted(operation) -> list[str]:
    """The departments the operation declares (`x-departments`; `admin` is always admitted)."""
    declared = operation.definition.raw.get("x-departments")
    if declared is None or "any" in declared:  # public, or any signed-in caller
        return list(DEPARTMENTS)
    return [d for d in DEPARTMENTS if d in declared or d == "admin"]


@pytest.mark.slow
def test_api_never_fails_and_rejections_change_nothing(fuzz_app):
    """Each example is sent with the token of every admitted department, and of one refused department
    (refused departments are answered alike, so one per example stands for all; each example takes the
    next, so every refused department is tried)."""
    operations = _operations(fuzz_app)
    assert len(operations) >= 5
    counts = _Counts(fuzz_app)
    for operation in operations:
        _fuzz(operation, fuzz_app, counts)


def _fuzz(operation, fuzz_app, counts) -> None:
    admitted = _admitted(operation)
    refused = [d for d in DEPARTMENTS if d not in admitted]
    turn = iter(range(10**9))

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy())
    def check(case):
        for department in admitted:
            _check_one(case, department, fuzz_app, counts)
        if refused:
            status = _check_one(case, refused[next(turn) % len(refused)], fuzz_app, counts)
            # 403, or what comes before the token is read: 404 for a path no route matches, 4xx of the
            # app-wide input checks (core/inputs.py).
            assert not 200 <= status < 300, f"{case.method} {case.formatted_path}: {status} for a refused department"

    check()


class _Counts:
    """Every table's row count, queried again only after an answer that may have stored something
    (a 4xx leaves them unchanged: that is what each rejection checks)."""

    def __init__(self, app) -> None:
        self._app = app
        self._known: dict[str, int] | None = None

    def now(self) -> dict[str, int]:
        if self._known is None:
            self._known = _row_counts(self._app)
        return self._known

    def measure(self) -> dict[str, int]:
        self._known = _row_counts(self._app)
        return self._known

    def forget(self) -> None:
        self._known = None


def _check_one(case, department, fuzz_app, counts) -> int:
    token = fuzz_app.config["FUZZ_TOKENS"][department]
    before = counts.now()
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
    if 400 <= response.status_code < 500:
        body = response.json()
        # A batch whose every item is invalid also carries its per-item `results` (core/batch.py).
        assert set(body) == {"error"} or set(body) == {"error", "results"}, body
        assert {"code", "message", "fields"} <= set(body["error"]), body
        after = counts.measure()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t] and t != "audit_log"}
        assert not changed, f"rejected {case.method} {case.formatted_path} changed {changed}"
    else:
        counts.forget()
    return response.status_code


# --------------------------------------------------------------------------------------------------
# Pass batches: one bad item never sinks the batch (hardening issue #26)

_GARBAGE = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.sampled_from("\x00\x07\u202e\u2066晋E1 "), max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),  # JSON numbers orjson reads
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(min_value=0, max_value=9), max_size=2),
    st.just("x" * 300),
)
_FIELDS = [
    "record_id",
    "lane",
    "plate",
    "plate_color",
    "plate_confidence",
    "fuel",
    "measured_at",
    "speed_kmh",
    "opacity_pct",
    "no_ppm",
    "ringelmann",
    "device_valid",
    "device_verdict",
    "device",
    "photos",
    "station",
]


def _valid_pass(record_id: str) -> dict:
    return pass_body(record_id, "2019-11-05T10:00:00+08:00", lane="1")


_batches = st.lists(st.one_of(st.none(), st.tuples(st.sampled_from(_FIELDS), _GARBAGE)), min_size=1, max_size=8).map(
    lambda items: list(enumerate(items))
)


@pytest.mark.slow
def test_pass_batches_answer_every_item_and_never_fail(fuzz_app):
    """Batches mixing valid passes with passes carrying garbage in one field (NUL, bidi marks,
    over-long text, huge integers, NaN, wrong types): never a 5xx, one answer per item in order,
    the HTTP status by the rule (201 any created, 422 all invalid, else 200), every refused item
    naming its field, and exactly the created items stored."""
    from sqlalchemy import func, select

    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import RemoteSensingPass

    client = fuzz_app.test_client()
    headers = {"Authorization": f"Bearer {fuzz_app.config['FUZZ_TOKENS']['environment']}"}
    counter = iter(range(10**9))

    def stored() -> int:
        with fuzz_app.app_context():
            n = db.session.scalar(select(func.count()).select_from(RemoteSensingPass)) or 0
            db.session.remove()
        return int(n)

    @settings(max_examples=max(EXAMPLES * 20, 50), deadline=None, suppress_health_check=list(HealthCheck))
    @given(batch=_batches)
    def check(batch):
        passes = []
        for _i, mutation in batch:
            item = _valid_pass(f"F{next(counter)}")
            if mutation is not None:
                field, value = mutation
                item[field] = value
            passes.append(item)
        before = stored()
        res = client.post("/api/v1/remote-sensing/passes", json={"passes": passes}, headers=headers)
        assert res.status_code < 500, res.get_data(as_text=True)[:500]
        results = res.get_json()["results"]
        assert [r["index"] for r in results] == list(range(len(passes)))
        statuses = [r["status"] for r in results]
        assert set(statuses) <= {"created", "duplicate", "conflict", "invalid"}
        expected = 201 if "created" in statuses else 422 if set(statuses) == {"invalid"} else 200
        assert res.status_code == expected, (statuses, res.status_code)
        for r in results:
            if r["status"] in ("invalid", "conflict"):
                assert r["error"]["field"] and r["error"]["code"] and r["error"]["message"], r
        assert stored() - before == statuses.count("created")

    check()
