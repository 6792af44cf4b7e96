"""VE_DATABASE_PREPARED_STATEMENTS=false, for PgBouncer before 1.21 in transaction mode
(deploy/pgbouncer.md): psycopg then prepares nothing on the server."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text


@pytest.mark.parametrize(("setting", "prepares"), [(None, True), ("false", False)])
def test_prepared_statements_follow_the_setting(backend: Any, tmp_path, monkeypatch, setting, prepares):
    if backend.name != "postgresql":
        pytest.skip("prepared statements are psycopg's, on PostgreSQL")
    from vehicle_enforce import create_app
    from vehicle_enforce.extensions import db

    if setting is not None:
        monkeypatch.setenv("VE_DATABASE_PREPARED_STATEMENTS", setting)
    app = create_app({"DATABASE_URL": backend.template, "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                for _ in range(8):  # psycopg prepares a statement from its 5th run on a connection
                    connection.execute(text("SELECT count(*) FROM jobs WHERE id > :n"), {"n": 0})
                prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
        finally:
            db.engine.dispose()
    assert (prepared > 0) is prepares
