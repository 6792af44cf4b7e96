"""Crash safety: SIGKILL the server in the middle of batch ingestion, restart, re-send.

Nothing may be lost, duplicated or half-written: a batch is one transaction, so after the kill either
all of it or none of it is stored, and re-sending it stores exactly what is missing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import REPO_ROOT, create_pg_database, drop_pg_database
from tests.core.test_processes import free_port

pytestmark = pytest.mark.slow

BATCH = 5000


def start_server(url: str, instance: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "VE_DATABASE_URL": url, "VE_INSTANCE_PATH": instance, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "vehicle_enforce:create_app()",
        ],
        env=env,
        cwd=REPO_ROOT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start")


def kill_hard(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def batch() -> dict:
    start = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    return {
        "passes": [
            {
                "station": "JC-RS-01",
                "record_id": f"crash-{i:05d}",
                "measured_at": (start + timedelta(seconds=i)).isoformat(),
                "plate": f"晋E{i:05d}",
                "plate_color": "yellow",
                "speed_kmh": 50.0,
                "accel_ms2": 0.5,
                "vsp_kw_t": 8.0,
                "wind_ms": 1.0,
                "co2_pct": 5.0,
                "no_ppm": 400.0,
                "opacity_pct": 45.0 if i % 3 == 0 else 10.0,
                "ringelmann": 0,
            }
            for i in range(BATCH)
        ]
    }


def count(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return int(value)


def test_kill_during_batch_ingestion_then_resend(tmp_path):
    from vehicle_enforce import create_app
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import actors, migrate, transaction
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.inspections import stations

    url = create_pg_database("ve_crash")
    try:
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "instance")})
        with app.app_context():
            stations.create_station(code="JC-RS-01", kind="remote_sensing", name="crash", actor=actors.system("test"))
            secret = services.create_token(
                TokenIn(name="crash", department=Department("station"), station="JC-RS-01"), actor=SYSTEM
            ).secret
            transaction.commit()
        headers = {"Authorization": f"Bearer {secret}"}
        body = batch()

        proc, base = start_server(url, str(tmp_path / "instance"))
        outcome: dict = {}

        def send() -> None:
            try:
                outcome["response"] = requests.post(
                    f"{base}/api/v1/remote-sensing/passes", json=body, headers=headers, timeout=120
                )
            except requests.RequestException as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.4)  # the batch is being parsed, judged and written
        kill_hard(proc)
        sender.join(timeout=60)

        assert "error" in outcome, "the kill came after the batch finished; the test proved nothing"
        stored = count(url, "SELECT count(*) FROM remote_sensing_passes")
        assert stored in (0, BATCH), f"half-written batch: {stored} of {BATCH} rows"

        proc, base = start_server(url, str(tmp_path / "instance"))
        try:
            response = requests.post(f"{base}/api/v1/remote-sensing/passes", json=body, headers=headers, timeout=300)
            assert response.status_code in (200, 201), response.text[:500]
            results = response.json()["results"]
            assert len(results) == BATCH
            assert sum(r["duplicate"] for r in results) == stored
            again = requests.post(f"{base}/api/v1/remote-sensing/passes", json=body, headers=headers, timeout=300)
            assert all(r["duplicate"] for r in again.json()["results"])
        finally:
            kill_hard(proc)
        assert count(url, "SELECT count(*) FROM remote_sensing_passes") == BATCH
        assert count(url, "SELECT count(DISTINCT record_id) FROM remote_sensing_passes") == BATCH
        exceed = count(url, "SELECT count(*) FROM remote_sensing_passes WHERE verdict = 'exceed'")
        assert exceed == len(range(0, BATCH, 3))
    finally:
        drop_pg_database(url)
