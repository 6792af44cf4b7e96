"""The application's database role owns nothing; the maintenance role owns the tables (PostgreSQL).

`vehicle-enforce db roles` creates both: the service then runs as the application role (the demo load and
a request write through every kind of table), and that role cannot drop, detach, truncate or disable the
trigger of what it does not own, nor change the append-only audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_URL, create_pg_database, drop_pg_database

pytestmark = pytest.mark.slow


@pytest.fixture
def roles_database(tmp_path) -> Iterator[dict[str, Any]]:
    """A fresh database and two new roles (roles are cluster-wide: unique names, dropped afterwards)."""
    suffix = uuid.uuid4().hex[:8]
    app_role, owner_role = f"ve_app_{suffix}", f"ve_maint_{suffix}"
    url = create_pg_database("ve_roles")
    as_role = {role: make_url(url).set(username=role).render_as_string(hide_password=False)
               for role in (app_role, owner_role)}  # fmt: skip
    try:
        yield {"url": url, "app": app_role, "owner": owner_role, "as": as_role, "tmp": tmp_path}
    finally:
        drop_pg_database(url)
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for role in (app_role, owner_role):
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def _cli(args: list[str], **config: Any) -> Any:
    from vehicle_enforce import create_app
    from vehicle_enforce.cli import build_cli

    app = create_app({"TESTING": True, "BROKER_URL": None, **config})
    result = app.test_cli_runner().invoke(build_cli(), args=args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def _refused(url: str, statement: str) -> str:
    """Run `statement` as the role of `url`; return PostgreSQL's refusal (fail when it is accepted)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    except Exception as exc:  # the refusal is what the test wants
        return str(exc)
    finally:
        engine.dispose()
    pytest.fail(f"{statement!r} was accepted")


def _use_the_app_as(url: str, tmp_path) -> None:
    """What the service writes, done by the service as `url`'s role: the demo set and a request."""
    from vehicle_enforce import create_app
    from vehicle_enforce.core import transaction
    from vehicle_enforce.demo import load_demo
    from vehicle_enforce.extensions import db

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance"), "BROKER_URL": None})
    with app.app_context():
        tokens = load_demo(vehicles=60)  # users, stations, vehicles, passes, listings, cases, audit, outbox
        transaction.commit()
        assert tokens
        db.session.remove()
        db.engine.dispose()
    client = app.test_client()
    answer = client.post(
        "/api/v1/hotlist/check",
        json={"reads": [{"plate": "晋E00001", "plate_color": "blue"}], "reason": "卡口抓拍比对"},
        headers={"Authorization": f"Bearer {tokens['checkpoint-gateway']}"},
    )
    assert answer.status_code == 200, answer.get_json()


def _assert_app_role_is_confined(db: dict[str, Any]) -> None:
    app_url, owner_url = db["as"][db["app"]], db["as"][db["owner"]]
    assert "must be owner" in _refused(app_url, "DROP TABLE remote_sensing_passes")
    assert "must be owner" in _refused(app_url, "ALTER TABLE audit_log DISABLE TRIGGER USER")
    assert "must be owner" in _refused(app_url, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    assert "permission denied" in _refused(app_url, "TRUNCATE audit_log")
    assert "permission denied" in _refused(app_url, "DELETE FROM audit_log")
    assert "permission denied" in _refused(app_url, "UPDATE audit_log SET action = 'x'")
    assert "permission denied" in _refused(app_url, "UPDATE alembic_version SET version_num = 'x'")
    assert "permission denied" in _refused(app_url, "CREATE TABLE mine (id int)")
    # Every partitioned table's partitions (once history is partitioned): the app role can neither detach
    # nor drop one; the maintenance role, which owns them, can.
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        partitions = conn.execute(
            text(
                "SELECT p.relname, c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relkind = 'p' ORDER BY 1, 2"
            )
        ).all()
        owners = set(
            conn.execute(
                text(
                    "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v')"
                )
            ).scalars()
        )
    engine.dispose()
    assert owners == {db["owner"]}
    for parent, child in partitions:
        assert "must be owner" in _refused(app_url, f'ALTER TABLE "{parent}" DETACH PARTITION "{child}"')
        assert "must be owner" in _refused(app_url, f'DROP TABLE "{child}"')
    if partitions:
        parent, child = partitions[0]
        engine = create_engine(owner_url)
        with engine.connect() as conn:  # rolled back at the end: the maintenance role may, the app may not
            conn.execute(text(f'ALTER TABLE "{parent}" DETACH PARTITION "{child}"'))
            conn.rollback()
        engine.dispose()


def test_existing_database_handed_to_the_maintenance_role_app_role_confined(roles_database):
    """Today's deployments: migrated by a superuser; `db roles --apply` hands everything over."""
    from vehicle_enforce.core import migrate

    db = roles_database
    migrate.upgrade(db["url"])
    printed = _cli(["db", "roles", "--app-role", db["app"], "--maintenance-role", db["owner"]], DATABASE_URL=db["url"])
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public" in printed.output
    engine = create_engine(db["url"])  # printed only: nothing changed yet
    with engine.connect() as conn:
        assert not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": db["app"]}).first()
    engine.dispose()
    for _ in range(2):  # applying twice changes nothing more
        _cli(
            ["db", "roles", "--app-role", db["app"], "--maintenance-role", db["owner"], "--apply", PG_ADMIN_URL],
            DATABASE_URL=db["url"],
        )
    _use_the_app_as(db["as"][db["app"]], db["tmp"])
    _assert_app_role_is_confined(db)


def test_new_install_migrates_as_the_maintenance_role_and_runs_as_the_app_role(roles_database):
    """New deployments: roles first, then `db upgrade` connects as the maintenance URL, the service as the app."""
    db = roles_database
    _cli(
        ["db", "roles", "--app-role", db["app"], "--maintenance-role", db["owner"], "--apply", PG_ADMIN_URL],
        DATABASE_URL=db["url"],
    )
    _cli(
        ["db", "upgrade"],
        DATABASE_URL=db["as"][db["app"]],
        MAINTENANCE_DATABASE_URL=db["as"][db["owner"]],
        INSTANCE_PATH=str(db["tmp"] / "instance"),
    )
    _use_the_app_as(db["as"][db["app"]], db["tmp"])
    _assert_app_role_is_confined(db)
