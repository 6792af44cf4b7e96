"""Retention of the partitioned history: month partitions past their period archived, then dropped (PostgreSQL).

Each test on PostgreSQL runs on a database of its own (it creates and detaches partitions of old months).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import SHARED, create_pg_database, drop_pg_database
from tests.core.test_database_roles import _refused
from tests.passes import pass_body

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC)
#: An expired month for passes, hotlist and audit (over 5 years ago) and a kept one (2 years ago).
OLD = NOW - timedelta(days=6 * 365)
KEPT = NOW - timedelta(days=2 * 365)
#: Outbox months: 5 and 6 months ago (past 90 days), one fully acknowledged, one with a failed record.
OUTBOX_DONE = NOW - timedelta(days=150)
OUTBOX_WAITING = NOW - timedelta(days=190)


def _month_name(table: str, moment: datetime) -> str:
    from vehicle_enforce.core import partitions

    return partitions.partition_name(table, partitions.month_of(moment))


@pytest.fixture
def history(backend: Any, tmp_path: Path) -> Any:
    """An app on a fresh PostgreSQL database with passes, outbox records and audit lines in old months."""
    if backend.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    from vehicle_enforce import create_app
    from vehicle_enforce.core import migrate, partitions

    url = create_pg_database("ve_retention")
    try:
        migrate.upgrade(url)
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "ARCHIVE_PATH": str(tmp_path / "archive"),
                "BROKER_URL": None,
                "SECRET_KEY": "test",
            }
        )
        engine = create_engine(url)
        with engine.begin() as conn:
            for moment in (OLD, KEPT, OUTBOX_DONE, OUTBOX_WAITING):
                for table in partitions.TABLES:
                    partitions.create_month(conn, table, partitions.month_of(moment))
        engine.dispose()
        _load(app, url)
        yield {"app": app, "url": url, "archive": tmp_path / "archive"}
    finally:
        drop_pg_database(url)


def _load(app: Any, url: str) -> None:
    """Passes through the API, moved into old months; outbox and audit rows written in old months."""
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.auth.services import create_token
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.inspections import stations

    with app.app_context():
        stations.create_station(
            code="JC-RS-01", kind="remote_sensing", name="遥感站", calibration_valid_until=date(2030, 12, 31),
            actor=actors.system("cli:test"),
        )  # fmt: skip
        token = create_token(
            TokenIn(name="rs", department=Department.station, station="JC-RS-01"), actor=actors.system("cli:test")
        ).secret
        transaction.commit()
    client = app.test_client()
    yesterday = (NOW - timedelta(days=1)).replace(microsecond=0)
    for i in range(5):
        body = pass_body(f"RET{i:04d}", (yesterday + timedelta(minutes=i)).isoformat())
        answer = client.post("/api/v1/remote-sensing/passes", json=body, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code in (200, 201), answer.get_json()
    engine = create_engine(url)
    with engine.begin() as conn:
        ids = list(conn.execute(text("SELECT id FROM remote_sensing_passes ORDER BY id")).scalars())
        # Three passes into a month past 5 years, one into a month 2 years ago; one stays recent.
        for pass_id, moment in zip(ids, (OLD, OLD, OLD, KEPT), strict=False):
            for table in ("remote_sensing_passes", "pass_keys"):  # as if measured then
                conn.execute(
                    text(f"UPDATE {table} SET measured_at = :at WHERE id = :id"), {"at": moment, "id": pass_id}
                )
    engine.dispose()
    _evidence(app, ids)
    engine = create_engine(url)
    with engine.begin() as conn:
        for i, (moment, status) in enumerate(
            [(OUTBOX_DONE, "acknowledged")] * 3 + [(OUTBOX_WAITING, "acknowledged"), (OUTBOX_WAITING, "failed")]
        ):
            conn.execute(
                text(
                    "INSERT INTO export_records (target, kind, object_id, station, idempotency_key, payload, "
                    "occurred_at, due_day, status, attempts, next_attempt_at, created_at) VALUES ('provincial', "
                    "'remote_sensing_pass', :oid, 'JC-RS-01', :key, '{}', :at, :day, :status, 1, :at, :at)"
                ),
                {"oid": str(i), "key": f"k{i}", "at": moment, "day": moment.date(), "status": status},
            )
        for i, moment in enumerate([OLD, OLD, KEPT]):
            conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor_kind, actor_name, action, object_type, object_id, changes) "
                    "VALUES (:at, 'system', 'test', 'vehicle.created', 'vehicle', :oid, '{\"n\": 1}')"
                ),
                {"at": moment, "oid": str(i)},
            )
    engine.dispose()


#: Real photos from the shared set: one per old pass, one shared by an old and the recent pass, one for
#: the pass 2 years old.
PHOTOS = sorted((SHARED / "data" / "plates").glob("*.jpg"))[:4]


def _evidence(app: Any, ids: list[int]) -> None:
    from vehicle_enforce.core import transaction
    from vehicle_enforce.inspections import evidence

    with app.app_context():
        photo = [evidence.Upload(p.name, p.read_bytes()) for p in PHOTOS]
        # ids[0:3] go to the month past 5 years, ids[3] to 2 years ago, ids[4] stays recent.
        links = [(ids[0], photo[0]), (ids[1], photo[1]), (ids[2], photo[2]), (ids[4], photo[2]), (ids[3], photo[3])]
        evidence.store([("remote_sensing_pass", pass_id, up) for pass_id, up in links])
        transaction.commit()


def _evidence_left(app: Any, url: str) -> tuple[set[str], set[str]]:
    """(SHA-256 of the evidence_files rows, SHA-256 of the files on disk)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT sha256 FROM evidence_files")).scalars())
    engine.dispose()
    folder = Path(app.config["EVIDENCE_PATH"])
    return rows, {p.name for p in folder.glob("*/*/*") if p.is_file() and not p.name.startswith(".")}


def _state(url: str) -> dict[str, Any]:
    """Every table's rows (ids) and every partition's attachment: what retention may change."""
    engine = create_engine(url)
    with engine.connect() as conn:
        state = {
            table: sorted(conn.execute(text(f'SELECT id FROM "{table}"')).scalars())
            for table in ("remote_sensing_passes", "pass_keys", "export_records", "audit_log", "hotlist_lookups")
        }
        state["relations"] = sorted(
            conn.execute(
                text(
                    "SELECT c.relname || ':' || c.relispartition FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
                    "AND c.relname ~ '_p[0-9]{6}$'"
                )
            ).scalars()
        )
    engine.dispose()
    return state


def _run(app: Any, *args: str) -> Any:
    from vehicle_enforce.cli import build_cli

    return app.test_cli_runner().invoke(build_cli(), args=["retention", *args])


def test_dry_run_lists_the_expired_partitions_and_changes_nothing(history):
    before = _state(history["url"])
    result = _run(history["app"], "run", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would archive and drop {_month_name('remote_sensing_passes', OLD)} (3 rows" in result.output
    assert f"would archive and drop {_month_name('export_records', OUTBOX_DONE)} (3 rows" in result.output
    assert f"would archive and detach (kept in the database) {_month_name('audit_log', OLD)} (2 rows" in result.output
    assert f"kept {_month_name('export_records', OUTBOX_WAITING)} (2 rows): 1 outbox records not acknowledged" in (
        result.output
    )
    assert _month_name("remote_sensing_passes", KEPT) not in result.output
    assert "nothing changed" in result.output
    assert _state(history["url"]) == before
    assert not history["archive"].exists()
    everything = {hashlib.sha256(p.read_bytes()).hexdigest() for p in PHOTOS}
    assert _evidence_left(history["app"], history["url"]) == (everything, everything)


def test_run_archives_and_drops_only_expired_partitions_and_never_drops_audit(history):
    url, app = history["url"], history["app"]
    old_passes = _month_name("remote_sensing_passes", OLD)
    engine = create_engine(url)
    with engine.connect() as conn:
        archived_rows = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{old_passes}" ORDER BY id')).all()]
    engine.dispose()
    before = _state(url)
    assert len(archived_rows) == 3
    everything = {hashlib.sha256(p.read_bytes()).hexdigest() for p in PHOTOS}
    assert _evidence_left(app, url) == (everything, everything)

    result = _run(app, "run")
    assert result.exit_code == 0, result.output
    after = _state(url)
    # Passes: the expired month is gone, the month 2 years ago and the recent pass stay.
    assert len(after["remote_sensing_passes"]) == len(before["remote_sensing_passes"]) - 3
    assert f"{old_passes}:false" not in after["relations"] and f"{old_passes}:true" not in after["relations"]
    assert f"{_month_name('remote_sensing_passes', KEPT)}:true" in after["relations"]
    assert after["pass_keys"] == after["remote_sensing_passes"]  # the dropped passes' keys went with them
    # Evidence: the photos only the dropped passes used are gone (rows and files); the one the recent pass
    # shares and the one of the pass 2 years old stay.
    kept = {hashlib.sha256(p.read_bytes()).hexdigest() for p in PHOTOS[2:]}
    assert _evidence_left(app, url) == (kept, kept)
    # Outbox: the acknowledged month is dropped, the one with a failed record stays.
    assert len(after["export_records"]) == len(before["export_records"]) - 3
    assert f"{_month_name('export_records', OUTBOX_WAITING)}:true" in after["relations"]
    # Audit: detached (no longer in audit_log), still in the database with its rows, still append-only.
    old_audit = _month_name("audit_log", OLD)
    assert f"{old_audit}:false" in after["relations"]
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text(f'SELECT count(*) FROM "{old_audit}"')).scalar() == 2
        actions = conn.execute(text("SELECT action, object_id FROM audit_log WHERE action LIKE 'retention.%'")).all()
    engine.dispose()
    # One audit line per archived partition (empty months of the other tables included).
    assert len(after["audit_log"]) == len(before["audit_log"]) - 2 + len(actions), result.output
    assert f"{len(actions)} partition(s) archived" in result.output
    assert {
        ("retention.detached", old_audit),
        ("retention.dropped", old_passes),
        ("retention.dropped", _month_name("export_records", OUTBOX_DONE)),
    } <= set(actions)
    assert ("retention.detached", _month_name("audit_log", KEPT)) not in set(actions)
    engine = create_engine(url)
    with engine.connect() as conn, pytest.raises(Exception, match="append-only"):
        conn.execute(text(f'DELETE FROM "{old_audit}"'))
    engine.dispose()

    # The archive: a gzip'd CSV whose SHA-256 is recorded, holding exactly the dropped rows.
    archive = history["archive"] / "remote_sensing_passes" / f"{old_passes}.csv.gz"
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert (archive.parent / f"{old_passes}.csv.gz.sha256").read_text().split()[0] == sha
    manifest = json.loads((archive.parent / f"{old_passes}.json").read_text())
    assert manifest["rows"] == 3 and manifest["sha256"] == sha
    assert gzip.decompress(archive.read_bytes()).decode().count("\n") == 4  # header + 3 rows
    assert (history["archive"] / "audit_log" / f"{old_audit}.csv.gz").exists()
    restored = _run(app, "restore", str(archive), "--into", "restored_passes")
    assert restored.exit_code == 0 and "3 rows loaded" in restored.output, restored.output
    engine = create_engine(url)
    with engine.connect() as conn:
        back = [tuple(r) for r in conn.execute(text("SELECT * FROM restored_passes ORDER BY id")).all()]
    engine.dispose()
    assert back == archived_rows

    # A second run finds nothing more to do (the detached audit month is not archived again).
    again = _run(app, "run")
    assert again.exit_code == 0 and "0 partition(s) archived" in again.output, again.output
    assert _state(url)["relations"] == after["relations"]


def test_a_damaged_archive_is_refused(history):
    assert _run(history["app"], "run").exit_code == 0
    archive = history["archive"] / "export_records" / f"{_month_name('export_records', OUTBOX_DONE)}.csv.gz"
    archive.write_bytes(archive.read_bytes()[:-8] + b"\0" * 8)
    result = _run(history["app"], "restore", str(archive), "--into", "restored_outbox")
    assert result.exit_code != 0 and "checksum mismatch" in result.output


@pytest.mark.sqlite
def test_sqlite_refuses_with_a_clear_message(app, backend, runner):
    if backend.name != "sqlite":
        pytest.skip("the SQLite answer")
    result = runner.invoke(["retention", "run", "--dry-run"])
    assert result.exit_code != 0 and "only PostgreSQL has" in result.output


@pytest.fixture
def two_roles(history):
    """The history database handed to a maintenance role, the service as an application role."""
    import uuid

    from sqlalchemy.engine import make_url

    from vehicle_enforce.core import maintenance

    suffix = uuid.uuid4().hex[:8]
    app_role, owner_role = f"ve_app_{suffix}", f"ve_maint_{suffix}"
    database = make_url(history["url"]).database
    engine = create_engine(history["url"])
    with engine.begin() as conn:
        for statement in maintenance.role_statements(database, app_role, owner_role):
            conn.execute(text(statement))
    engine.dispose()
    as_role = {r: make_url(history["url"]).set(username=r).render_as_string(hide_password=False)
               for r in (app_role, owner_role)}  # fmt: skip
    try:
        yield {"app": as_role[app_role], "owner": as_role[owner_role]}
    finally:
        engine = create_engine(history["url"], isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'REASSIGN OWNED BY "{app_role}", "{owner_role}" TO CURRENT_USER'))
            conn.execute(text(f'DROP OWNED BY "{app_role}", "{owner_role}"'))
            for role in (app_role, owner_role):
                conn.execute(text(f'DROP ROLE "{role}"'))
        engine.dispose()


def _app_as(history: Any, **config: Any) -> Any:
    from vehicle_enforce import create_app

    base = {k: history["app"].config[k] for k in ("TESTING", "INSTANCE_PATH", "ARCHIVE_PATH", "SECRET_KEY")}
    return create_app({**base, "BROKER_URL": None, **config})


def test_only_the_maintenance_role_can_archive_and_the_app_role_cannot_touch_archived_audit(history, two_roles):
    before = _state(history["url"])
    # As the application role alone: every partition refused (it owns none), nothing changed.
    app_only = _app_as(history, DATABASE_URL=two_roles["app"])
    result = _run(app_only, "run")
    assert result.exit_code != 0 and "must be owner" in result.output, result.output
    assert _state(history["url"]) == before
    # The daily task, with the maintenance role's URL: archived, dropped, audit detached.
    from vehicle_enforce.core import tasks

    app = _app_as(history, DATABASE_URL=two_roles["app"], MAINTENANCE_DATABASE_URL=two_roles["owner"])
    with app.app_context():
        outcome = tasks.run_now("core.retention")
    assert outcome["failed"] == 0 and outcome["archived"] >= 3
    old_audit = _month_name("audit_log", OLD)
    assert f"{old_audit}:false" in _state(history["url"])["relations"]
    assert "permission denied" in _refused(two_roles["app"], f'DELETE FROM "{old_audit}"')
    assert "permission denied" in _refused(two_roles["app"], f'INSERT INTO "{old_audit}" SELECT * FROM "{old_audit}"')
    assert "must be owner" in _refused(two_roles["app"], f'DROP TABLE "{old_audit}"')
    assert "must be owner" in _refused(two_roles["app"], f'ALTER TABLE "{old_audit}" DISABLE TRIGGER USER')


def test_beat_sends_retention_daily_to_the_maintenance_queue(tmp_path):
    """Only the maintenance worker (the one holding the maintenance role's URL) takes retention and partitions."""
    from vehicle_enforce import create_app

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/r.db",
            "INSTANCE_PATH": str(tmp_path),
            "BROKER_URL": "redis://127.0.0.1:6379/15",
        }
    )
    celery = app.extensions["celery"]
    assert {e["task"] for e in celery.conf.beat_schedule.values()} >= {"core.retention", "core.ensure_partitions"}
    for task in ("core.retention", "core.ensure_partitions"):
        assert celery.amqp.router.route({}, task)["queue"].name == "maintenance"
    assert celery.amqp.router.route({}, "core.run_job")["queue"].name == celery.conf.task_default_queue
