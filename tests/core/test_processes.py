"""Real processes: gunicorn serving the app, and a Celery worker consuming from Redis."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO_ROOT, service_unavailable

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"process exited early: {proc.stdout.read() if proc.stdout else ''}")
        try:
            return requests.get(url, timeout=2)
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or no worker booted yet
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout}s")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VE_")}
    env.update(
        {"VE_INSTANCE_PATH": str(tmp_path / "instance"), "VE_DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}
    )
    env.update(extra)
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "vehicle_enforce", *args]


def _serve(env: dict[str, str], port: int, *args: str) -> tuple[subprocess.Popen, list[str], threading.Thread]:
    """`vehicle-enforce serve` on `port`, its output collected line by line in the returned list."""
    proc = subprocess.Popen(
        _cli("serve", "--host", "127.0.0.1", "--port", str(port), *args),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    return proc, lines, reader


def test_serve_runs_gunicorn_and_answers_healthz(tmp_path):
    env = _env(tmp_path)
    subprocess.run(_cli("db", "upgrade"), env=env, check=True, capture_output=True)
    port = free_port()
    proc, lines, reader = _serve(env, port, "--workers", "1")
    try:
        response = wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        assert response.status_code == 200 and response.json()["database"] == "ok"
        # Without a broker, serve runs the embedded job worker beside gunicorn: a queued job gets done.
        job = _queue_ping(env)
        deadline = time.monotonic() + 120
        while _job_status(env, job) != "done" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _job_status(env, job) == "done", "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=40)
        reader.join(timeout=10)
    output = "".join(lines)
    assert "gunicorn" in output.lower() or "Booting worker" in output
    assert "worker: 2 thread(s) on" in output and "tasks.sqlite3" in output


def test_serve_logs_json_lines_and_adds_up_metrics_across_its_workers(tmp_path):
    """The shipped configuration under gunicorn: one JSON line per request with its id, and /metrics
    counting every worker's requests (prometheus_client's multiprocess mode, set up by serve)."""
    from prometheus_client.parser import text_string_to_metric_families

    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999999.db").write_bytes(b"")  # left by a process of an earlier run
    env = _env(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    subprocess.run(_cli("db", "upgrade"), env=env, check=True, capture_output=True)
    port = free_port()
    proc, lines, reader = _serve(env, port, "--workers", "2", "--no-job-worker")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", proc)
        for i in range(30):
            r = requests.get(f"{base}/readyz", headers={"X-Request-ID": f"req-serve-{i}"}, timeout=10)
            assert r.status_code == 200 and r.headers["X-Request-ID"] == f"req-serve-{i}"
        text = requests.get(f"{base}/metrics", timeout=10).text
    finally:
        proc.terminate()
        proc.wait(timeout=40)
        reader.join(timeout=10)
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    key = ("ve_http_requests_total", (("method", "GET"), ("route", "/readyz"), ("status", "200")))
    assert found[key] == 30, text
    assert not (metrics_dir / "counter_999999999.db").exists()
    assert {p.name.split("_")[0] for p in metrics_dir.glob("*.db")} >= {"counter", "histogram"}
    records = [json.loads(line) for line in lines if line.startswith("{")]
    served = {
        r["request_id"] for r in records if r.get("logger") == "vehicle_enforce.request" and r["route"] == "/readyz"
    }
    assert served == {f"req-serve-{i}" for i in range(30)}, "".join(lines)[-3000:]
    assert any(r.get("logger") == "gunicorn.error" and "Booting worker" in r["message"] for r in records)
    assert not [line for line in lines if line.strip() and not line.startswith("{")], "every line is JSON"


def test_importing_the_command_leaves_prometheus_client_unimported():
    """serve sets PROMETHEUS_MULTIPROC_DIR after the command module is imported: prometheus_client,
    which reads it at import, must not be imported by then."""
    code = "import sys, vehicle_enforce.cli; sys.exit('prometheus_client' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0


def _app_for(env: dict[str, str]):
    from vehicle_enforce import create_app

    return create_app({"DATABASE_URL": env["VE_DATABASE_URL"], "INSTANCE_PATH": env["VE_INSTANCE_PATH"]})


def _queue_ping(env: dict[str, str]) -> int:
    from vehicle_enforce.core import tasks, transaction

    with _app_for(env).app_context():
        job_id = tasks.run_later("core.ping", value="pong")
        transaction.commit()
        return job_id


def _job_status(env: dict[str, str], job_id: int) -> str:
    from vehicle_enforce.core.jobs import Job
    from vehicle_enforce.extensions import db

    app = _app_for(env)
    with app.app_context():
        status = db.session.get(Job, job_id).status
        db.engine.dispose()
        return status


def test_celery_worker_runs_a_task_against_redis(tmp_path):
    import redis

    broker = "redis://127.0.0.1:6379/14"
    try:
        redis.Redis.from_url(broker).ping()
    except Exception as exc:
        service_unavailable("Redis at 127.0.0.1:6379", exc)
    env = _env(tmp_path, VE_BROKER_URL=broker)
    subprocess.run(_cli("db", "upgrade"), env=env, check=True, capture_output=True)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "vehicle_enforce.celery_app:celery",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        from vehicle_enforce import create_app

        app = create_app(
            {"BROKER_URL": broker, "DATABASE_URL": env["VE_DATABASE_URL"], "INSTANCE_PATH": env["VE_INSTANCE_PATH"]}
        )
        celery = app.extensions["celery"]
        value = f"pong-{time.time_ns()}"
        result = celery.send_task("core.ping", kwargs={"value": value})
        assert result.get(timeout=60) == value
        # With a broker, a job recorded by a request goes to Celery after the commit, never inline.
        from vehicle_enforce.core import tasks, transaction
        from vehicle_enforce.core.jobs import Job
        from vehicle_enforce.extensions import db

        with app.test_request_context("/", headers={"X-Request-ID": "req-celery-1"}):
            job_id = tasks.run_later("core.ping", value=value)
            transaction.commit()
        with app.app_context():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                db.session.expire_all()
                status = db.session.get(Job, job_id).status
                db.session.commit()
                if status == "done":
                    break
                time.sleep(0.2)
            assert status == "done"
            db.engine.dispose()
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    # The worker logs in the service's JSON lines, the job's with the id of the request that queued it.
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(r.get("job_id") == job_id and r["request_id"] == "req-celery-1" for r in records), output[-3000:]
