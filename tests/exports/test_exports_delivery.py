"""Exports against the reference receiver on loopback: failures, dropped connections, killed senders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.conftest import REPO_ROOT
from tools.reference_receiver import create_receiver


@pytest.fixture
def receiver() -> Iterator[Any]:
    servers = []

    def start(**options: Any) -> tuple[str, Any]:
        app = create_receiver(**options)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}", app

    yield start
    for server, thread in servers:
        server.shutdown()
        thread.join(timeout=10)


def configure(app: Any, url: str, batch_size: int = 50, timeout: float = 5.0) -> None:
    app.config["EXPORT_TARGETS"] = {
        "provincial": {"url": url + "/records", "batch_size": batch_size, "timeout": timeout},
        "national": {"url": None},
    }
    app.config["EXPORT_BACKOFF_BASE"] = 0.001
    app.config["EXPORT_BACKOFF_MAX"] = 0.01


def emit_records(n: int, kind: str = "remote_sensing_pass") -> None:
    from vehicle_enforce import signals
    from vehicle_enforce.core import transaction

    for i in range(n):
        signals.send_record(kind, i + 1, {"record_id": f"R{i + 1}", "verdict": "exceed"}, station="JC-RS-01")
    transaction.commit()


def statuses(target: str = "provincial") -> dict[str, int]:
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    rows = db.session.execute(
        select(ExportRecord.status, func.count()).where(ExportRecord.target == target).group_by(ExportRecord.status)
    ).all()
    db.session.commit()
    return dict(rows)


def drain(max_runs: int = 200) -> None:
    from vehicle_enforce.exports import sender

    for _ in range(max_runs):
        sender.run("provincial")
        if set(statuses()) <= {"acknowledged", "rejected"}:
            return
        time.sleep(0.02)


def test_records_are_queued_with_the_transaction_that_stores_them(app):
    from vehicle_enforce import signals
    from vehicle_enforce.extensions import db

    signals.send_record("remote_sensing_pass", 1, {"x": 1}, station="JC-RS-01")
    db.session.rollback()  # the record was not stored: nothing may be exported
    assert statuses() == {}
    emit_records(3)
    assert statuses() == {"pending": 3}
    assert statuses("national") == {"pending": 3}
    signals.send_record("phaseout_action", 9, {"x": 1})
    db.session.commit()
    assert statuses("national") == {"pending": 3}  # the national platform does not take phase-out actions
    assert statuses() == {"pending": 4}


def test_every_record_acknowledged_once_despite_failures_and_drops(app, receiver):
    url, _ = receiver(fail_rate=0.3, drop_rate=0.15, seed=7)
    configure(app, url)
    emit_records(600)
    drain()
    assert statuses() == {"acknowledged": 600}
    stats = requests.get(url + "/stats", timeout=5).json()
    assert stats["unique_keys"] == 600 and stats["accepted"] == 600
    assert stats["failed"] > 0 and stats["dropped"] > 0  # the faults really happened
    assert stats["duplicates"] > 0  # dropped acknowledgements were re-sent and counted once


def test_a_crash_between_send_and_acknowledgement_resends_the_batch_once_and_counts_it_once(app, receiver, monkeypatch):
    """The claim commits before the POST; the batch's acknowledgement commits with the next claim. A sender
    that dies between the two has the platform's answer but not its record of it: the batch is sent again
    once its lease ends, the platform answers `duplicate`, and every record ends acknowledged once."""
    from vehicle_enforce.core import transaction
    from vehicle_enforce.exports import sender

    url, _ = receiver()
    configure(app, url, batch_size=40)
    app.config["EXPORT_LEASE_SECONDS"] = 0  # the dead sender's lease ends at once
    emit_records(100)
    acknowledge = sender._acknowledge
    calls = []

    def dies_on_the_second_batch(ids: list[int], now: Any) -> None:
        calls.append(len(ids))
        if len(calls) == 2:
            raise RuntimeError("killed between send and acknowledgement")
        acknowledge(ids, now)

    monkeypatch.setattr(sender, "_acknowledge", dies_on_the_second_batch)
    with pytest.raises(RuntimeError):
        sender.run("provincial")
    transaction.rollback()
    # The first batch's outcome committed with the second claim; the second's died with the sender.
    assert statuses() == {"acknowledged": 40, "sent": 40, "pending": 20}
    monkeypatch.setattr(sender, "_acknowledge", acknowledge)
    [summary, *_] = sender.run("provincial")
    assert statuses() == {"acknowledged": 100} and summary.acknowledged == 60
    stats = requests.get(url + "/stats", timeout=5).json()
    assert stats["unique_keys"] == 100 and stats["accepted"] == 100
    assert stats["duplicates"] == 40  # only the batch in flight was sent again, and counted once


def test_rejected_records_wait_for_a_person_and_can_be_resent(app, receiver, client, auth_headers):
    url, _ = receiver(reject_kinds=frozenset({"case_action"}))
    configure(app, url)
    emit_records(5)
    emit_records(2, kind="case_action")
    drain()
    assert statuses() == {"acknowledged": 5, "rejected": 2}
    failed = client.get("/api/v1/exports/failed", headers=auth_headers("environment")).get_json()["results"]
    assert [f["kind"] for f in failed] == ["case_action", "case_action"] and failed[0]["last_error"]
    r = client.post(
        f"/api/v1/exports/{failed[0]['id']}/resend", json={"note": "已修正"}, headers=auth_headers("environment")
    )
    assert r.status_code == 200 and r.get_json()["status"] == "pending"
    assert (
        client.post(f"/api/v1/exports/{failed[0]['id']}/resend", json={}, headers=auth_headers("police")).status_code
        == 403
    )


def test_transmission_rate_and_alarm(app, receiver, client, auth_headers):
    url, _ = receiver()
    configure(app, url)
    emit_records(20)
    body = client.get("/api/v1/exports/status?target=provincial", headers=auth_headers("transport")).get_json()
    assert body["total"] == {"due": 20, "acknowledged": 0, "rate": 0.0, "alarm": True}
    drain()
    body = client.get("/api/v1/exports/status?target=provincial", headers=auth_headers("environment")).get_json()
    assert body["total"]["rate"] == 1.0 and body["total"]["alarm"] is False
    assert body["by_station"] == [{"station": "JC-RS-01", "due": 20, "acknowledged": 20, "rate": 1.0, "alarm": False}]
    assert body["by_kind"][0]["kind"] == "remote_sensing_pass"
    day = body["by_day"][0]["due_day"]
    assert (
        client.get(
            f"/api/v1/exports/missing?day={day}&target=provincial", headers=auth_headers("environment")
        ).get_json()["results"]
        == []
    )


@pytest.mark.commits
def test_two_senders_at_once_never_send_a_record_twice(app, receiver, backend):
    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers; the claim race needs PostgreSQL")
    url, _ = receiver(delay=0.02)
    configure(app, url, batch_size=20)
    emit_records(400)
    from vehicle_enforce.exports import sender

    def one() -> None:
        with app.app_context():
            sender.run("provincial")

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = requests.get(url + "/stats", timeout=5).json()
    assert stats["unique_keys"] == 400 and stats["duplicates"] == 0


@pytest.mark.commits
@pytest.mark.slow
def test_killed_sender_loses_nothing_and_resends_at_most_the_batch_in_flight(app, app_config, receiver, backend):
    url, _ = receiver(delay=0.15)
    configure(app, url, batch_size=40)
    emit_records(400)
    targets = json.dumps(app.config["EXPORT_TARGETS"])
    env = {
        **os.environ,
        "VE_DATABASE_URL": app_config["DATABASE_URL"],
        "VE_INSTANCE_PATH": app_config["INSTANCE_PATH"],
        "VE_EXPORT_TARGETS": targets,
        "VE_EXPORT_LEASE_SECONDS": "1",
        "PYTHONPATH": str(REPO_ROOT),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "vehicle_enforce", "export", "run", "--target", "provincial"],
        env=env,
        cwd=REPO_ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while requests.get(url + "/stats", timeout=5).json()["accepted"] < 80 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    partial = statuses()
    assert partial.get("acknowledged", 0) < 400, "the sender finished before the kill; the test proved nothing"
    time.sleep(1.1)  # the killed sender's lease runs out
    result = subprocess.run(
        [sys.executable, "-m", "vehicle_enforce", "export", "run", "--target", "provincial"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert statuses() == {"acknowledged": 400}
    stats = requests.get(url + "/stats", timeout=5).json()
    assert stats["unique_keys"] == 400 and stats["accepted"] == 400
    assert stats["duplicates"] <= 40  # at most the batch in flight was sent twice


def test_daily_files_are_written_per_record_type(app, runner, tmp_path):
    emit_records(3)
    from vehicle_enforce.core.timeutil import local_day, now_utc

    day = local_day(now_utc()).isoformat()
    result = runner.invoke(["export", "files", "--date", day, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    csv_file = tmp_path / f"{day}_remote_sensing_pass.csv"
    assert csv_file.read_bytes().startswith(b"\xef\xbb\xbf") and (tmp_path / f"{day}_remote_sensing_pass.xlsx").exists()
    assert csv_file.read_text(encoding="utf-8-sig").count("\n") == 4


def test_dry_run_sends_nothing(app, receiver, runner):
    url, _ = receiver()
    configure(app, url)
    emit_records(5)
    result = runner.invoke(["export", "run", "--dry-run"])
    assert result.exit_code == 0 and '"sent": 5' in result.output
    assert requests.get(url + "/stats", timeout=5).json()["requests"] == 0
