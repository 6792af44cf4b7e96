"""Backups of PostgreSQL and the evidence files: a pg_dump restored into a fresh database, and a base
backup with the WAL archive restored by the drill script into a fresh cluster on another port."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import IN_CI, REPO_ROOT, create_pg_database, drop_pg_database

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


# -- Physical backup: pg_basebackup + WAL archive, restored by scripts/restore-drill.sh --------------------


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    chosen = Path(os.environ["PG_BIN"]) / "initdb" if os.environ.get("PG_BIN") else (found[-1] if found else None)
    return chosen.parent if chosen and chosen.exists() else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowawayCluster:
    """A PostgreSQL cluster of its own on a free port, WAL archived by scripts/archive-wal.sh.

    initdb and postgres refuse to run as root: as root (CI), they run as the OS user `postgres`.
    """

    def __init__(self, bin_dir: Path, base: Path, archive: Path) -> None:
        self.bin, self.data, self.port = bin_dir, base / "source", _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/vehicle_enforce"
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*self.as_pg, str(bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )  # fmt: skip
        archive_command = f"bash {REPO_ROOT / 'scripts/archive-wal.sh'} %p %f {archive}"
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
                f"archive_mode = on\narchive_command = '{archive_command}'\nwal_level = replica\n"
            )
        self.pg_ctl("start", "-l", str(base / "source.log"))
        admin = create_engine(self.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE vehicle_enforce"))
        admin.dispose()

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_pg, str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", *args], check=True, capture_output=True
        )

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "immediate")


@pytest.fixture
def drill_dir():
    """A directory the postgres OS user can use (pytest's tmp_path is private to root in CI)."""
    if _pg_bin() is None:
        message = "PostgreSQL server binaries (initdb) not found under /usr/lib/postgresql (scripts/ensure-browser.sh)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    base = Path(tempfile.mkdtemp(prefix="ve-drill-"))
    base.chmod(0o755)
    for sub in ("archive", "backup", "evidence", "restored"):
        (base / sub).mkdir()
    if os.geteuid() == 0:
        subprocess.run(["chown", "-R", "postgres:", str(base)], check=True)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _add_rows(url: str, instance: Path, evidence: Path, photos: list[Path], marker: str) -> None:
    """Rows through the app: vehicles, an audit line each, and evidence photos linked to them."""
    from vehicle_enforce import create_app
    from vehicle_enforce.core import actors, audit, transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections import evidence as evidence_store
    from vehicle_enforce.vehicles.models import Vehicle
    from vehicle_enforce.vehicles.registry import plate_key

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "EVIDENCE_PATH": str(evidence)})
    with app.app_context():
        uploads = []
        for i, photo in enumerate(photos):
            plate = f"晋E{marker}{i:02d}"
            vehicle = Vehicle(plate=plate, plate_color="yellow", plate_key=plate_key(plate), vehicle_type="heavy_truck",
                              fuel="diesel", emission_standard=3, status="active")  # fmt: skip
            db.session.add(vehicle)
            db.session.flush()
            audit.record(
                "vehicle.created", "vehicle", vehicle.id, {"plate": plate}, actor=actors.system("cli:drill-test")
            )
            uploads.append(("vehicle", vehicle.id, evidence_store.Upload(photo.name, photo.read_bytes())))
        evidence_store.store(uploads)
        transaction.commit()
        db.session.remove()
        db.engine.dispose()


def _report_counts(report: str) -> dict[str, int]:
    lines = report.split("row counts of the restored database vehicle_enforce:\n", 1)[1].splitlines()
    counts = {}
    for line in lines:
        name, _, number = line.partition(" ")
        if not number.isdigit():
            break
        counts[name] = int(number)
    return counts


def test_restore_drill_recovers_base_backup_and_archived_wal_into_a_fresh_cluster(drill_dir, shared_dir):
    """Base backup, then more rows and evidence; the drill restores both on another port: counts equal."""
    from vehicle_enforce import create_app
    from vehicle_enforce.core import migrate, transaction
    from vehicle_enforce.demo import load_demo

    photos = sorted((shared_dir / "data" / "plates").glob("*.jpg"))[:6]
    archive, backup, evidence = drill_dir / "archive", drill_dir / "backup", drill_dir / "evidence"
    source = ThrowawayCluster(_pg_bin(), drill_dir, archive)
    try:
        migrate.upgrade(source.url)
        app = create_app({"DATABASE_URL": source.url, "INSTANCE_PATH": str(drill_dir / "instance")})
        with app.app_context():
            load_demo(vehicles=200)
            transaction.commit()
        _add_rows(source.url, drill_dir / "instance", evidence, photos[:3], "A")
        subprocess.run(
            ["bash", str(REPO_ROOT / "scripts/basebackup.sh"), source.url.replace("/vehicle_enforce", "/postgres"),
             str(evidence), str(backup / "1")],
            check=True, capture_output=True,
        )  # fmt: skip
        engine = create_engine(source.url)
        with engine.connect() as conn:
            between = conn.execute(text("SELECT now()")).scalar()
        engine.dispose()
        # After the backup: rows only the archived WAL holds, and evidence only the mirror holds.
        _add_rows(source.url, drill_dir / "instance", evidence, photos[3:], "B")
        restored = drill_dir / "restored" / "data"
        result = subprocess.run(
            ["bash", str(REPO_ROOT / "scripts/restore-drill.sh"), "--compare-with", source.url,
             "--evidence-to", str(drill_dir / "restored" / "evidence"), "--evidence-mirror", str(evidence),
             str(backup / "1"), str(archive), str(restored), str(_free_port())],
            capture_output=True, text=True,
        )  # fmt: skip
        report = Path(f"{restored}.report").read_text()
        assert result.returncode == 0, result.stdout + result.stderr + report
        assert "row counts equal the source's in every table" in report
        counts = _report_counts(report)
        assert counts["vehicles"] == _counts(source.url)["vehicles"] == 200 + len(photos)
        assert counts["evidence_files"] == len(photos) and counts["audit_log"] > 0
        assert f"all {len(photos)} files named by the restored evidence_files rows are present" in report
        for photo in photos:
            sha = hashlib.sha256(photo.read_bytes()).hexdigest()
            assert (drill_dir / "restored" / "evidence" / sha[:2] / sha[2:4] / sha).read_bytes() == photo.read_bytes()
        assert not (restored / "postmaster.pid").exists()  # the drill stopped its cluster

        # The same backup without the archive's later segments: the drill sees the missing rows and fails.
        segments = sorted(p for p in archive.iterdir() if len(p.name) == 24)
        partial = drill_dir / "partial-archive"
        partial.mkdir()
        for segment in segments[:1]:
            shutil.copy(segment, partial / segment.name)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:", str(partial)], check=True)
        again = drill_dir / "restored" / "again"
        result = subprocess.run(
            ["bash", str(REPO_ROOT / "scripts/restore-drill.sh"), "--compare-with", source.url,
             str(backup / "1"), str(partial), str(again), str(_free_port())],
            capture_output=True, text=True,
        )  # fmt: skip
        assert result.returncode != 0 and "row counts differ from the source" in result.stderr

        # Point in time: replayed up to a moment between the two batches, only the first is there.
        earlier = drill_dir / "restored" / "earlier"
        result = subprocess.run(
            ["bash", str(REPO_ROOT / "scripts/restore-drill.sh"), "--target-time", between.isoformat(),
             str(backup / "1"), str(archive), str(earlier), str(_free_port())],
            capture_output=True, text=True,
        )  # fmt: skip
        report = Path(f"{earlier}.report").read_text()
        assert result.returncode == 0, result.stdout + result.stderr + report
        assert _report_counts(report)["vehicles"] == 200 + 3
    finally:
        source.stop()


def test_restore_drill_refuses_a_damaged_backup(tmp_path):
    backup = tmp_path / "b"
    (backup / "base").mkdir(parents=True)
    (backup / "base" / "base.tar.gz").write_bytes(b"x")
    (backup / "MANIFEST").write_text("created now\nbase/base.tar.gz 00\n")
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts/restore-drill.sh"), str(backup), str(tmp_path), str(tmp_path / "d"), "1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "checksum mismatch for base/base.tar.gz" in result.stderr
