"""Month partitions of the history tables (PostgreSQL): creation, DEFAULT, detach/drop, duplicates across
months, and the migration that converts tables holding rows of several months (#29)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.core.test_database_roles import roles_database  # noqa: F401  (the fixture, used below)
from vehicle_enforce.core import partitions


@pytest.fixture
def pg_only(backend: Any) -> None:
    if backend.name != "postgresql":
        pytest.skip("SQLite tables are not partitioned")


def _connection() -> Any:
    from vehicle_enforce.extensions import db

    return db.session.connection()


def _where(table: str, key: str, value: Any) -> str:
    """The partition holding the row of `table` whose `key` is `value`."""
    return str(
        _connection()
        .execute(sa.text(f'SELECT tableoid::regclass::text FROM "{table}" WHERE "{key}" = :v'), {"v": value})
        .scalar_one()
    )


def test_month_arithmetic_and_names() -> None:
    assert partitions.add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert partitions.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    # A month is the Shanghai month: 2026-11-30 17:00 UTC is already December in Jincheng.
    assert partitions.month_of(datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == date(2026, 12, 1)
    start, end = partitions.month_bounds(date(2026, 12, 1))
    assert start.isoformat() == "2026-12-01T00:00:00+08:00" and end.isoformat() == "2027-01-01T00:00:00+08:00"
    assert partitions.partition_name("remote_sensing_passes", date(2027, 3, 1)) == "remote_sensing_passes_p202703"
    with pytest.raises(ValueError):
        partitions.partition_name("not_a_table", date(2027, 3, 1)) and partitions.detach(None, "x", "x_p202703")  # type: ignore[arg-type]


@pytest.mark.sqlite  # what the embedded default ships: make test runs it on SQLite too
def test_sqlite_has_nothing_to_do(app: Any, backend: Any) -> None:
    if backend.name != "sqlite":
        pytest.skip("the SQLite answer")
    assert partitions.ensure(_connection()) == []
    assert partitions.list_partitions(_connection(), "audit_log") == []


def test_ensure_is_idempotent_and_creates_the_next_months(app: Any, pg_only: None) -> None:
    now = datetime(2031, 5, 20, 12, 0, tzinfo=UTC)
    created = partitions.ensure(_connection(), months_ahead=2, now=now)
    for table in partitions.TABLES:
        for month in ("203105", "203106", "203107"):
            assert f"{table}_p{month}" in created
    assert partitions.ensure(_connection(), months_ahead=2, now=now) == []
    listed = partitions.list_partitions(_connection(), "remote_sensing_passes")
    months = [p.month for p in listed if not p.is_default]
    assert months == sorted(months)
    assert {date(2031, 5, 1), date(2031, 6, 1), date(2031, 7, 1)} <= set(months)
    assert [p.name for p in listed if p.is_default] == ["remote_sensing_passes_default"]
    june = next(p for p in listed if p.month == date(2031, 6, 1))
    assert june.start == partitions.month_bounds(date(2031, 6, 1))[0] and june.attached


def test_audit_partitions_stay_append_only(app: Any, pg_only: None) -> None:
    from vehicle_enforce.core import actors, audit
    from vehicle_enforce.extensions import db

    audit.record("probe.partition", "probe", 1, actor=actors.system("test"))
    db.session.flush()
    name = _where("audit_log", "action", "probe.partition")
    assert name.startswith("audit_log_p")
    for statement in (f'DELETE FROM "{name}"', f'TRUNCATE "{name}"', "UPDATE audit_log SET action = 'x'"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.session.begin_nested():
            db.session.execute(sa.text(statement))


def test_detach_and_drop_one_month(app: Any, pg_only: None) -> None:
    connection = _connection()
    partitions.create_month(connection, "export_records", date(2032, 1, 1))
    name = "export_records_p203201"
    partitions.detach(connection, "export_records", name)
    listed = {p.name: p for p in partitions.list_partitions(connection, "export_records")}
    assert listed[name].attached is False
    partitions.drop(connection, "export_records", name)
    assert name not in {p.name for p in partitions.list_partitions(connection, "export_records")}
    with pytest.raises(ValueError):
        partitions.drop(connection, "export_records", "export_records_default")
    with pytest.raises(ValueError):
        partitions.detach(connection, "export_records", "audit_log_p203201")


# --- the migration on a database holding rows of several months -------------------------------------------

BEFORE = "26h_jobresult"
MONTHS = [datetime(2026, m, 15, 4, 0, tzinfo=UTC) for m in (3, 7, 11)]


def _fill_history(conn: Any) -> None:
    """Rows in three months in every table the migration partitions (the schema of BEFORE)."""
    conn.execute(
        sa.text(
            "INSERT INTO stations (id, code, name, kind, created_at)"
            " VALUES (900, 'MIG-RS', '迁移站', 'remote_sensing', now())"
        )
    )
    for n, at in enumerate(MONTHS, start=1):
        conn.execute(
            sa.text(
                "INSERT INTO remote_sensing_passes (station_id, record_id, measured_at, plate, plate_color,"
                " plate_status, match_decision, verdict, exceeded, invalid_reasons, photo_names, payload_sha256,"
                " created_at)"
                " VALUES (900, :rid, :at, '晋E0000' || :n, 'yellow', 'read', 'none', 'pass', '[]', '[]', '[]', :h, :at)"
            ),
            {"rid": f"MIG-{n}", "at": at, "n": n, "h": f"{n:064d}"},
        )
        conn.execute(
            sa.text(
                "INSERT INTO export_records (target, kind, object_id, idempotency_key, payload, occurred_at, due_day,"
                " status, attempts, next_attempt_at, created_at)"
                " VALUES ('provincial', 'remote_sensing_pass', :n, :key, '{}', :at, :day, 'acknowledged', 1, :at, :at)"
            ),
            {"n": str(n), "key": f"140525:provincial:remote_sensing_pass:{n}", "at": at, "day": at.date()},
        )
        conn.execute(
            sa.text(
                "INSERT INTO audit_log (at, actor_kind, actor_name, action, object_type)"
                " VALUES (:at, 'system', 'migration-test', 'probe', 'probe')"
            ),
            {"at": at},
        )
        lookup = conn.execute(
            sa.text(
                "INSERT INTO hotlist_lookups (at, actor_kind, actor_name, mode, read_count, hit_count)"
                " VALUES (:at, 'token', 'police', 'single', 1, 0) RETURNING id"
            ),
            {"at": at},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO hotlist_reads (lookup_id, plate, plate_color, seen_at) VALUES (:l, '晋E1', 'yellow', :at)"
            ),
            {"l": lookup, "at": at},
        )
    conn.execute(
        sa.text(
            "INSERT INTO evidence_withdrawals (id, station_id, since, until, reason, created_by, created_at, outcome)"
            " VALUES (1, 900, now(), now(), '设备故障', 'test', now(), '{}')"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO withdrawn_passes (pass_id, withdrawal_id)"
            " SELECT id, 1 FROM remote_sensing_passes WHERE record_id = 'MIG-1'"
        )
    )


TABLES = (
    "remote_sensing_passes",
    "export_records",
    "audit_log",
    "hotlist_lookups",
    "hotlist_reads",
    "withdrawn_passes",
)


def _counts(conn: Any) -> dict[str, Any]:
    return {
        t: conn.execute(sa.text(f'SELECT count(*), coalesce(max(id), 0) FROM "{t}"')).one()
        if t != "withdrawn_passes"
        else conn.execute(sa.text("SELECT count(*), max(pass_id) FROM withdrawn_passes")).one()
        for t in TABLES
    }


def test_migration_partitions_tables_holding_months_of_rows_and_back(pg_only: None, monkeypatch: Any) -> None:
    from tests.conftest import create_pg_database, drop_pg_database
    from vehicle_enforce.core import migrate

    monkeypatch.setenv("VE_COUNTY_CODE", "140525")  # the counties migration assigns the station to it

    url = create_pg_database("ve_part")
    engine = sa.create_engine(url)
    try:
        migrate.upgrade(url, BEFORE)
        with engine.begin() as conn:
            _fill_history(conn)
            before = _counts(conn)
        migrate.upgrade(url)
        with engine.begin() as conn:
            assert _counts(conn) == before
            # Each row sits in its month's partition.
            where = dict(
                conn.execute(
                    sa.text(
                        "SELECT record_id, tableoid::regclass::text FROM remote_sensing_passes WHERE station_id = 900"
                    )
                ).all()
            )
            assert where == {
                "MIG-1": "remote_sensing_passes_p202603",
                "MIG-2": "remote_sensing_passes_p202607",
                "MIG-3": "remote_sensing_passes_p202611",
            }
            for table in ("export_records", "audit_log", "hotlist_lookups", "hotlist_reads"):
                names = set(conn.execute(sa.text(f"SELECT DISTINCT tableoid::regclass::text FROM {table}")).scalars())
                assert names == {f"{table}_p202603", f"{table}_p202607", f"{table}_p202611"}, table
            # Ids continue after the old ones (sequences kept); a pass's id comes from its key.
            audit_id = conn.execute(
                sa.text(
                    "INSERT INTO audit_log (at, actor_kind, actor_name, action, object_type)"
                    " VALUES (now(), 'system', 't', 'after', 'probe') RETURNING id"
                )
            ).scalar_one()
            assert audit_id > before["audit_log"][1]
            key_id = conn.execute(
                sa.text(
                    "INSERT INTO pass_keys (station_id, record_id, measured_at)"
                    " VALUES (900, 'MIG-9', now()) RETURNING id"
                )
            ).scalar_one()
            assert key_id > before["remote_sensing_passes"][1]
            # The old passes' keys are in the key table with their hashes; the audit log is still append-only.
            keys = conn.execute(sa.text("SELECT count(*) FROM pass_keys WHERE station_id = 900")).scalar_one()
            assert keys == 4
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), conn.begin_nested():
                conn.execute(sa.text("DELETE FROM audit_log_p202603"))
            conn.execute(sa.text("DELETE FROM pass_keys WHERE record_id = 'MIG-9'"))
        migrate.check(url)
        migrate.downgrade(url, BEFORE)
        with engine.begin() as conn:
            after = _counts(conn)
            assert after["remote_sensing_passes"] == before["remote_sensing_passes"]
            assert after["export_records"] == before["export_records"]
            assert after["withdrawn_passes"] == before["withdrawn_passes"]
            assert after["audit_log"][0] == before["audit_log"][0] + 1
            partitioned = conn.execute(sa.text("SELECT count(*) FROM pg_class WHERE relkind = 'p'")).scalar_one()
            assert partitioned == 0
        migrate.upgrade(url)
    finally:
        engine.dispose()
        drop_pg_database(url)


@pytest.mark.commits
def test_ensure_command_is_idempotent(runner: Any, backend: Any) -> None:
    first = runner.invoke(args=["partitions", "ensure", "--months-ahead", "6"])
    assert first.exit_code == 0, first.output
    if backend.name == "sqlite":
        assert "nothing to do" in first.output
        return
    month = partitions.add_months(partitions.month_of(datetime.now(UTC)), 6)
    again = runner.invoke(args=["partitions", "ensure", "--months-ahead", "6"])
    assert again.exit_code == 0 and again.output.strip() == "0 partition(s) created"
    listed = runner.invoke(args=["partitions", "list", "audit_log"]).output
    assert partitions.partition_name("audit_log", month) in listed
    assert "audit_log_default\tDEFAULT" in listed


@pytest.mark.slow
def test_ensure_runs_as_the_maintenance_role_and_new_audit_partitions_stay_append_only(
    pg_only: None,
    roles_database: dict[str, Any],  # noqa: F811  (the fixture imported above)
    tmp_path: Any,
) -> None:
    """Months later: `partitions ensure` (the daily task) creates partitions as the owner; the app role gets
    rows of the new ones, never UPDATE or DELETE on a new audit partition."""
    from tests.conftest import PG_ADMIN_URL
    from tests.core.test_database_roles import _cli, _refused

    db = roles_database
    app_url = db["as"][db["app"]]
    _cli(["db", "roles", "--app-role", db["app"], "--maintenance-role", db["owner"], "--apply", PG_ADMIN_URL],
         DATABASE_URL=db["url"])  # fmt: skip
    urls = {"DATABASE_URL": app_url, "MAINTENANCE_DATABASE_URL": db["as"][db["owner"]]}
    _cli(["db", "upgrade"], **urls, INSTANCE_PATH=str(tmp_path / "instance"))
    created = _cli(["partitions", "ensure", "--months-ahead", "8"], **urls).output
    month = partitions.add_months(partitions.month_of(datetime.now(UTC)), 8)
    audit, passes = (partitions.partition_name(t, month) for t in ("audit_log", "remote_sensing_passes"))
    assert f"created {audit}" in created
    engine = sa.create_engine(app_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text(f'SELECT count(*) FROM "{passes}"')).scalar_one() == 0
        owner = conn.execute(sa.text("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = :n"), {"n": audit})
        assert owner.scalar_one() == db["owner"]
    engine.dispose()
    assert "permission denied" in _refused(app_url, f'DELETE FROM "{audit}"')
    assert "permission denied" in _refused(app_url, f"UPDATE \"{audit}\" SET action = 'x'")
    assert "must be owner" in _refused(app_url, f'DROP TABLE "{audit}"')
