"""Test fixtures: the app on SQLite and on PostgreSQL, clients, tokens and the shared test data.

Every test that uses `app` runs on PostgreSQL, and on SQLite too under `make test-all` (`make test` runs
on SQLite only SQLITE_SET and tests marked `sqlite`). The schema is built by the Alembic migrations, once
per backend and session. Most tests then share one app per backend and run inside one outer transaction
that is rolled back at the end: the session joins it with `join_transaction_mode="create_savepoint"`, so
a commit in the code under test releases a savepoint and a rollback returns to it (SQLAlchemy's "joining
a session into an external transaction" recipe). Tests whose data must really be committed (threads,
processes or other connections reading it, a second app on the test database, live_server) are marked
`commits` (live_server and app_config imply it): they get their own app on a fresh copy (SQLite) or
emptied tables (PostgreSQL), as every test did before.
PostgreSQL missing: the tests are skipped with a message, except in CI (CI=true) where they fail.
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.page_client import PageClient

#: Every API response a test makes is checked against the recorded golden keys (no client breaks).
pytest_plugins = ["tests.api.golden_keys"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VE_SHARED_DIR", REPO_ROOT.parent / "shared"))
PG_ADMIN_URL = os.environ.get("VE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = [b for b in os.environ.get("VE_TEST_DATABASES", "sqlite,postgresql").split(",") if b]


#: What `make test` also runs on SQLite (VE_TEST_SQLITE=marked): what the embedded default ships, i.e. the
#: migrations, the demo and CLI, one full enforcement loop, a browser login, and the tests of every
#: dialect-specific branch (COPY/upserts, locks, the feed, matching, importers, jobs, exports, reviews).
#: `make test-all` runs every test on both databases. A single test joins with `@pytest.mark.sqlite`.
SQLITE_SET = (
    "tests/core/test_migrations.py",
    "tests/core/test_bulk.py",
    "tests/core/test_jobs.py",
    "tests/core/test_audit_log.py",
    "tests/core/test_security_config.py",
    "tests/core/test_cli_accounts.py",
    "tests/phaseout/test_phaseout_demo.py",
    "tests/blacklist/test_cases_flow.py::test_end_to_end_listing_penalty_repair_retest_release",
    "tests/blacklist/test_blacklist_rule.py",
    "tests/blacklist/test_hotlist_and_feed.py",
    "tests/reviews/test_match_reviews.py",
    "tests/vehicles/test_vehicles_match.py",
    "tests/vehicles/test_vehicles_import.py",
    "tests/inspections/test_inspections_import.py",
    "tests/inspections/test_inspections_pass_api.py",
    "tests/exports/test_exports_delivery.py",
    "tests/web/test_web_login.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SQLITE_SET):
            item.add_marker(pytest.mark.sqlite)
    if os.environ.get("VE_TEST_SQLITE", "all") != "marked":
        return
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        on_sqlite = params is not None and params.params.get("backend") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("sqlite") is None else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def service_unavailable(what: str, exc: BaseException) -> None:
    """Fail in CI, skip elsewhere, always saying which service is missing."""
    message = f"{what} is unreachable ({exc.__class__.__name__}: {exc})"
    if IN_CI:
        pytest.fail(f"{message}; CI requires it", pytrace=False)
    pytest.skip(f"{message}; skipping (set CI=true to make this a failure)")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared test data not found at {SHARED} (set VE_SHARED_DIR)", pytrace=False)
    return SHARED


@pytest.fixture
def vehicle_factory(app: Any) -> Callable[..., int]:
    """make(plate, plate_color, owner=(kind, name)) registers an active China III diesel heavy truck (with
    its owner when given); returns its id."""
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Owner, Vehicle
    from vehicle_enforce.vehicles.registry import plate_key

    def make(plate: str = "晋E12345", plate_color: str = "yellow", owner: tuple[str, str] | None = None) -> int:
        owner_id = None
        if owner is not None:
            row = Owner(kind=owner[0], name=owner[1], phone="13912345678")
            db.session.add(row)
            db.session.flush()
            owner_id = row.id
        vehicle = Vehicle(
            plate=plate,
            plate_color=plate_color,
            plate_key=plate_key(plate),
            vehicle_type="heavy_truck",
            fuel="diesel",
            emission_standard=3,
            status="active",
            owner_id=owner_id,
        )
        db.session.add(vehicle)
        db.session.flush()
        transaction.commit()
        return vehicle.id

    return make


#: A real photo from the shared set that the shipped reader reads exactly (confidence ~1.0).
PLATE_PHOTO = "d0003.jpg"


@pytest.fixture
def labelled_photo(shared_dir: Path) -> tuple[Path, str, str]:
    """(path, labelled plate, labelled colour) of PLATE_PHOTO, read in place from the shared set."""
    import csv

    folder = shared_dir / "data" / "plates"
    with open(folder / "labels.csv", encoding="utf-8") as fh:
        label = next(row for row in csv.DictReader(fh) if row["file"] == PLATE_PHOTO)
    return folder / PLATE_PHOTO, label["plate"], label["color"]


@pytest.fixture
def photo(labelled_photo: tuple[Path, str, str]) -> tuple[bytes, str, str]:
    """(bytes, labelled plate, labelled colour) of PLATE_PHOTO."""
    path, plate, colour = labelled_photo
    return path.read_bytes(), plate, colour


@dataclass
class Backend:
    name: str
    template: str  # SQLite template file path, or the PostgreSQL URL of the test database
    seeded_tables: frozenset[str]

    def url_for_test(self, tmp_path: Path) -> str:
        if self.name == "sqlite":
            target = tmp_path / "test.sqlite3"
            shutil.copyfile(self.template, target)
            return f"sqlite:///{target}"
        return self.template


def _seeded(url: str) -> frozenset[str]:
    from vehicle_enforce import models_registry  # noqa: F401
    from vehicle_enforce.core.db import Base

    engine = create_engine(url)
    with engine.connect() as conn:
        names = {
            t.name
            for t in Base.metadata.sorted_tables
            if conn.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar()
        }
        # The last seeded key of each seeded table with one integer key: rows a committing test adds
        # beyond it are deleted by the reset (seeded rows themselves stay, with their sequences).
        _SEEDED_UP_TO[url] = {
            t.name: int(conn.execute(text(f'SELECT max("{key.name}") FROM "{t.name}"')).scalar() or 0)
            for t in Base.metadata.sorted_tables
            if t.name in names
            and len(key_columns := list(t.primary_key.columns)) == 1
            and (key := key_columns[0]).type.python_type is int
        }
    engine.dispose()
    return frozenset(names)


#: Per database URL: seeded table -> its highest seeded primary key (see `_seeded`).
_SEEDED_UP_TO: dict[str, dict[str, int]] = {}


def create_pg_database(prefix: str = "ve_test") -> str:
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:
        service_unavailable("PostgreSQL at 127.0.0.1:5432", exc)
        raise
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    from vehicle_enforce.core import migrate

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        yield Backend("sqlite", str(path), _seeded(url))
        return
    url = create_pg_database()
    try:
        migrate.upgrade(url)
        yield Backend("postgresql", url, _seeded(url))
    finally:
        drop_pg_database(url)


def _empty_pg(url: str, keep: frozenset[str]) -> None:
    from vehicle_enforce.core.db import Base

    tables = [t.name for t in Base.metadata.sorted_tables if t.name not in keep]
    seeded = {t.name: t for t in Base.metadata.sorted_tables if t.name in keep}
    engine = create_engine(url)
    with engine.begin() as conn:
        # The audit log refuses TRUNCATE through a trigger; emptying a test database bypasses triggers.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        # Seeded tables (townships, ...) keep their seed but lose what a committing test added.
        for name, up_to in _SEEDED_UP_TO.get(url, {}).items():
            key = next(iter(seeded[name].primary_key.columns)).name
            conn.execute(text(f'DELETE FROM "{name}" WHERE "{key}" > :up_to'), {"up_to": up_to})
    engine.dispose()


def needs_commits(request: pytest.FixtureRequest) -> bool:
    """Tests that see their data from another connection, thread or process, or build apps of their own."""
    return request.node.get_closest_marker("commits") is not None or bool(
        COMMITTING_FIXTURES.intersection(request.fixturenames)
    )


#: Fixtures that imply real commits: a server thread (and its job worker) answers from its own
#: connections, and `app_config` is asked for by tests that build a second app on the test database.
COMMITTING_FIXTURES = frozenset({"live_server", "app_config"})


@pytest.fixture
def app_config(backend: Backend, tmp_path: Path) -> dict[str, Any]:
    """The configuration of an app a test builds itself: the shipped one, CSRF protection included."""
    return {
        "TESTING": True,
        "DATABASE_URL": backend.url_for_test(tmp_path),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "BROKER_URL": None,
    }


@dataclass
class SharedApp:
    """The app of one backend for the whole session, and what a test may change on it."""

    app: Any
    config: dict[str, Any]
    limiter_state: dict[str, Any]
    #: PostgreSQL: one statement that sets every identity back to the table's highest id (sequences are
    #: not transactional, so a rolled-back test would otherwise move the next test's ids).
    restart_ids: str | None = None


@pytest.fixture(scope="session")
def shared_app(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedApp]:
    """One app per backend and session; each test runs in a transaction of its own that is rolled back."""
    from vehicle_enforce import create_app
    from vehicle_enforce.extensions import db, limiter

    folder = tmp_path_factory.mktemp(f"app-{backend.name}")
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": backend.url_for_test(folder),
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "test-secret",
            "BROKER_URL": None,
        }
    )
    application.test_client_class = PageClient  # forms carry the CSRF token, as from a browser
    with application.app_context():
        # The engine the shipped app builds, unchanged: on SQLite its own hook (core/sqlite.py) begins the
        # transaction before a first SAVEPOINT, so the test's savepoints never end its outer transaction.
        engine = db.engine
    restart_ids = _restart_ids_statement(engine) if backend.name == "postgresql" else None
    try:
        yield SharedApp(application, copy.deepcopy(dict(application.config)), dict(vars(limiter)), restart_ids)
    finally:
        engine.dispose()


def _restart_ids_statement(engine: Any) -> str | None:
    from vehicle_enforce.core.db import Base

    calls = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for column in table.primary_key.columns:
                sequence = conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
                ).scalar()
                if sequence:
                    calls.append(
                        f'setval(\'{sequence}\', coalesce((SELECT max("{column.name}") FROM "{table.name}"), 0) + 1,'
                        " false)"
                    )
    return "SELECT " + ", ".join(calls) if calls else None


def _joined_session_class(shared: Any, connection: Any) -> type:
    """A Flask-SQLAlchemy session that, for the shared app, runs on the test's connection."""
    from flask import current_app, has_app_context
    from flask_sqlalchemy.session import Session

    class JoinedSession(Session):
        def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
            if bind is None and has_app_context() and current_app._get_current_object() is shared:
                return connection
            return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)

    return JoinedSession


@contextmanager
def _rolled_back(shared: SharedApp) -> Iterator[Any]:
    """The shared app inside one outer transaction; commits inside release savepoints; all rolled back."""
    from vehicle_enforce.extensions import db, limiter

    application = shared.app
    vars(limiter).clear()
    vars(limiter).update(shared.limiter_state)  # an app built by another test re-initialised it
    limiter.reset()
    ctx = application.app_context()
    ctx.push()
    connection = db.engine.connect()
    outer = connection.begin()
    if shared.restart_ids:
        connection.exec_driver_sql(shared.restart_ids)
    sessions = db.session
    db.session = db._make_scoped_session(
        {
            "class_": _joined_session_class(application, connection),
            "join_transaction_mode": "create_savepoint",
        }
    )
    try:
        yield application
    finally:
        db.session.remove()
        db.session = sessions
        outer.rollback()
        connection.close()
        ctx.pop()
        application.extensions["huey"].flush()
        for waiting in ("ve_pending_tasks", "ve_after_commit"):  # work a rolled-back commit had queued
            application.extensions.get(waiting, []).clear()
        application.config.clear()
        application.config.update(copy.deepcopy(shared.config))


@pytest.fixture
def app(backend: Backend, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The test's app. Most tests share one app per backend and run in a transaction that is rolled back;
    tests marked `commits` (or using live_server/app_config) get their own app and a real reset."""
    if not needs_commits(request):
        with _rolled_back(request.getfixturevalue("shared_app")) as application:
            yield application
        return
    from vehicle_enforce import create_app
    from vehicle_enforce.extensions import db

    application = create_app(request.getfixturevalue("app_config"))
    application.test_client_class = PageClient
    ctx = application.app_context()
    ctx.push()
    try:
        yield application
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()
        if backend.name == "postgresql":
            _empty_pg(backend.template, backend.seeded_tables)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


class CliRunner:
    """Invoke the `vehicle-enforce` command against the test app."""

    def __init__(self, app: Any) -> None:
        self._runner = app.test_cli_runner()

    def invoke(self, args: list[str], **kwargs: Any) -> Any:
        from vehicle_enforce.cli import build_cli

        return self._runner.invoke(build_cli(), args=args, **kwargs)


@pytest.fixture
def runner(app: Any) -> CliRunner:
    return CliRunner(app)


@pytest.fixture
def db_session(app: Any) -> Any:
    from vehicle_enforce.extensions import db

    return db.session


@pytest.fixture
def station_factory(app: Any) -> Callable[..., Any]:
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.inspections import stations

    def make(code: str = "JC-RS-01", kind: str = "remote_sensing", **kwargs: Any) -> Any:
        found = stations.station_by_code(code)
        if found is not None:
            return found
        station = stations.create_station(
            code=code, kind=kind, name=kwargs.pop("name", code), actor=actors.system("test"), **kwargs
        )
        transaction.commit()
        return station

    return make


@pytest.fixture
def auth_headers(app: Any, station_factory: Callable[..., Any]) -> Callable[..., dict[str, str]]:
    """`auth_headers("police")` or `auth_headers("station", station="JC-RS-01")` → request headers."""
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    cache: dict[tuple[str, str | None, str | None], dict[str, str]] = {}

    def make(department: str, *, station: str | None = None, township: str | None = None) -> dict[str, str]:
        key = (department, station, township)
        if key not in cache:
            if station:
                station_factory(station)
            if department == "township" and township is None:
                township = "巴公镇"
            issued = services.create_token(
                TokenIn(
                    name=f"test-{department}", department=Department(department), station=station, township=township
                ),
                actor=SYSTEM,
            )
            transaction.commit()
            cache[key] = {"Authorization": f"Bearer {issued.secret}"}
        return cache[key]

    return make


@pytest.fixture
def run_jobs(app: Any) -> Callable[[], int]:
    """Run the background jobs queued so far, as `vehicle-enforce worker` would; nothing runs inline."""
    from vehicle_enforce.core import tasks

    return lambda: tasks.work_off(app)
