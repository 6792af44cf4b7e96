"""On the embedded SQLite default, a rollback undoes rows written in savepoints (the engine as shipped)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from tests.probes import township_row


def test_a_rollback_undoes_a_released_savepoint_that_began_the_transaction(tmp_path: Path) -> None:
    from vehicle_enforce import create_app
    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.core import migrate
    from vehicle_enforce.extensions import db

    url = f"sqlite:///{tmp_path / 'shipped.sqlite3'}"
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})  # no test engine tweaks
    with app.app_context():
        count = select(func.count()).select_from(Township)
        before = db.session.scalar(count)  # a read: pysqlite has not begun a transaction for it
        with db.session.begin_nested():  # an import row's savepoint, an idempotent insert...
            db.session.add(township_row("sp01", "保存点镇"))
        assert db.session.scalar(count) == before + 1
        db.session.rollback()  # the request is refused, the job fails
        assert db.session.scalar(count) == before
        db.session.remove()
        db.engine.dispose()
