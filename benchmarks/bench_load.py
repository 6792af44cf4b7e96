"""Load test: gunicorn + PostgreSQL under a mix of station posts, hotlist checks and page views.

    .venv/bin/python benchmarks/bench_load.py --seconds 30 --clients 16

Bounded in time and in requests; loopback only. Prints throughput, p50/p99 per kind and the error
count. `--scale` sizes the registry (1.0 = 100,000 vehicles) and is the smoke knob in CI.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from benchmarks._common import gunicorn, parser, percentile, report, scaled, temp_database


def seed(url: str, vehicles: int) -> dict[str, Any]:
    """Registry, a station and tokens; returns the tokens by role."""
    from vehicle_enforce import create_app
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn, UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.demo import load_demo

    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        load_demo(vehicles=vehicles)
        tokens: dict[str, Any] = {
            "station": services.create_token(
                TokenIn(name="load-station", department=Department("station"), station="JC-RS-01"), actor=SYSTEM
            ).secret,
            "police": services.create_token(
                TokenIn(name="load-police", department=Department("police")), actor=SYSTEM
            ).secret,
        }
        services.create_user(
            UserIn(username="load-viewer", password="load-viewer-pass", department=Department("environment")),
            actor=SYSTEM,
        )
        transaction.commit()
        from sqlalchemy import select

        from vehicle_enforce.extensions import db
        from vehicle_enforce.vehicles.models import Vehicle

        plates = db.session.execute(select(Vehicle.plate, Vehicle.plate_color).limit(2000)).all()
    tokens["plates"] = [tuple(p) for p in plates]
    return tokens


def run(base: str, tokens: dict[str, Any], seconds: float, clients: int, max_requests: int) -> None:
    plates = tokens["plates"]
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    counter = iter(range(max_requests))
    stop_at = time.monotonic() + seconds

    def worker(n: int) -> None:
        rng = random.Random(n)
        session = requests.Session()
        viewer = requests.Session()
        viewer.get(f"{base}/login", timeout=10)
        record = 0
        while time.monotonic() < stop_at:
            try:
                next(counter)
            except StopIteration:
                return
            kind = rng.choices(["pass", "hotlist", "page"], weights=[5, 4, 1])[0]
            plate, colour = rng.choice(plates)
            started = time.perf_counter()
            try:
                if kind == "pass":
                    record += 1
                    body = {
                        "station": "JC-RS-01",
                        "record_id": f"load-{n}-{record}",
                        "measured_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                        "plate": plate,
                        "plate_color": colour,
                        "speed_kmh": 50.0,
                        "accel_ms2": 0.5,
                        "vsp_kw_t": 8.0,
                        "wind_ms": 1.0,
                        "co2_pct": 5.0,
                        "no_ppm": 400.0,
                        "opacity_pct": 10.0,
                        "ringelmann": 0,
                    }
                    r = session.post(
                        f"{base}/api/v1/remote-sensing/passes",
                        json=body,
                        timeout=30,
                        headers={"Authorization": f"Bearer {tokens['station']}"},
                    )
                elif kind == "hotlist":
                    r = session.get(
                        f"{base}/api/v1/hotlist/check",
                        timeout=30,
                        params={"plate": plate, "plate_color": colour, "reason": "负载测试"},
                        headers={"Authorization": f"Bearer {tokens['police']}"},
                    )
                else:
                    r = viewer.get(f"{base}/login", timeout=30)
                ok = r.status_code < 400
            except requests.RequestException:
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                latencies[kind].append(elapsed)
                if not ok:
                    errors[kind] += 1

    began = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    wall = time.monotonic() - began
    total = sum(len(v) for v in latencies.values())
    report("load_total", requests=total, seconds=wall, rps=total / wall, errors=sum(errors.values()))
    for kind, values in sorted(latencies.items()):
        ms = [v * 1000 for v in values]
        report(f"load_{kind}", n=len(ms), p50_ms=percentile(ms, 50), p99_ms=percentile(ms, 99), errors=errors[kind])


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--workers", type=int, default=4)
    args = p.parse_args()
    vehicles = scaled(100_000, args.scale, minimum=200)
    seconds = args.seconds if args.scale >= 0.1 else min(args.seconds, 3.0)
    with temp_database("postgresql") as url:
        tokens = seed(url, vehicles)
        with gunicorn(url, workers=args.workers, threads=2) as base:
            run(
                base,
                tokens,
                seconds,
                args.clients if args.scale >= 0.1 else 4,
                max_requests=scaled(10**7, args.scale, 200),
            )


if __name__ == "__main__":
    main()
