"""Shared benchmark plumbing: throw-away databases, a gunicorn server, timing and memory numbers.

Every benchmark takes `--scale` (1.0 = the full size named in its issue; CI runs a smoke size) and
prints its numbers; none asserts on time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

REPO_ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("VE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def parser(description: str, *, default_db: str = "postgresql") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the full size (CI smoke: 0.001)")
    p.add_argument("--database", choices=["postgresql", "sqlite", "both"], default=default_db)
    return p


def scaled(full: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(full * scale))


@contextlib.contextmanager
def temp_database(kind: str) -> Iterator[str]:
    """A migrated, empty database that is dropped afterwards."""
    from vehicle_enforce.core import migrate

    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="ve-bench-")
        url = f"sqlite:///{folder}/bench.sqlite3"
        try:
            migrate.upgrade(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"ve_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def backends(choice: str) -> list[str]:
    return ["sqlite", "postgresql"] if choice == "both" else [choice]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def gunicorn(
    database_url: str | None,
    *,
    workers: int = 2,
    threads: int = 1,
    app: str = "vehicle_enforce.wsgi:app",
    ready_path: str = "/healthz",
) -> Iterator[str]:
    """Serve the app (or another WSGI `app`) with gunicorn on a free loopback port; yields its base URL.

    With `threads` > 1 gunicorn uses its threaded worker, which keeps connections alive.
    """
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "VE_LOG_LEVEL": "WARNING"}
    if database_url is not None:
        env["VE_DATABASE_URL"] = database_url
    env.setdefault("VE_INSTANCE_PATH", tempfile.mkdtemp(prefix="ve-bench-instance-"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        env=env,
        cwd=REPO_ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + ready_path, timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def peak_rss_mb() -> float:
    """Peak resident memory of this process (and of finished children) in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples_s: list[float]) -> str:
    ms = [s * 1000 for s in samples_s]
    return (
        (
            f"n={len(ms)} median={statistics.median(ms):.2f}ms p95={percentile(ms, 95):.2f}ms "
            f"p99={percentile(ms, 99):.2f}ms"
        )
        if ms
        else "n=0"
    )


def load_average() -> str:
    """The 1, 5 and 15-minute load averages (the machine is shared: every figure carries them)."""
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def report(name: str, **numbers: object) -> None:
    """Print one result line: `name key=value ... load=1m/5m/15m` (easy to grep and paste into the README)."""
    fields = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in numbers.items())
    print(name, fields, f"load={load_average()}", flush=True)
