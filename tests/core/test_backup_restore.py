"""Backup and restore of PostgreSQL and the evidence files, restored into a fresh database."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import REPO_ROOT, create_pg_database, drop_pg_database

pytestmark = pytest.mark.slow


def _counts(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
    engine.dispose()
    return counts


def test_backup_then_restore_into_a_fresh_database(tmp_path):
    from vehicle_enforce import create_app
    from vehicle_enforce.core import migrate, transaction
    from vehicle_enforce.demo import load_demo

    source = create_pg_database("ve_backup_src")
    target = create_pg_database("ve_backup_dst")
    try:
        migrate.upgrade(source)
        app = create_app({"DATABASE_URL": source, "INSTANCE_PATH": str(tmp_path / "instance")})
        with app.app_context():
            load_demo(vehicles=300)
            transaction.commit()
        evidence = tmp_path / "evidence"
        (evidence / "ab").mkdir(parents=True)
        (evidence / "ab" / "abcdef.jpg").write_bytes(b"\xff\xd8evidence")
        backup = tmp_path / "backup"
        subprocess.run(["bash", str(REPO_ROOT / "scripts/backup.sh"), source, str(evidence), str(backup)], check=True)
        restored_evidence = tmp_path / "restored"
        subprocess.run(
            ["bash", str(REPO_ROOT / "scripts/restore.sh"), str(backup), target, str(restored_evidence)], check=True
        )
        before, after = _counts(source), _counts(target)
        assert before == after
        assert before["vehicles"] == 300 and before["audit_log"] > 0
        assert (restored_evidence / "ab" / "abcdef.jpg").read_bytes() == b"\xff\xd8evidence"
        # The restored audit log keeps its append-only trigger.
        engine = create_engine(target)
        with engine.connect() as conn, pytest.raises(Exception, match="append-only"):
            conn.execute(text("DELETE FROM audit_log"))
        engine.dispose()
    finally:
        drop_pg_database(source)
        drop_pg_database(target)


def test_restore_refuses_a_corrupted_backup(tmp_path):
    backup = tmp_path / "b"
    backup.mkdir()
    (backup / "database.dump").write_bytes(b"x")
    (backup / "evidence.tar").write_bytes(b"y")
    (backup / "MANIFEST").write_text("database.dump 00\nevidence.tar 00\n")
    result = subprocess.run(
        [
            "bash",
            str(REPO_ROOT / "scripts/restore.sh"),
            str(backup),
            "postgresql://nobody@127.0.0.1/none",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "checksum mismatch" in result.stderr
