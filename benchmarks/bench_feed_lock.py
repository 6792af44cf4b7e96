"""Change-feed lock (issue #29): how long feed writers hold it, how long others wait for it.

Stations post batches of passes at the same time (one thread per station, through the real API). Some
batches list vehicles (two exceeding passes of a registered China III truck on two days), so the listing
rule writes listing and case-opening rows to the change feed under its advisory lock (`cases/feed.py`);
the other batches list nobody and must never take the lock. Measured with SQLAlchemy cursor events on the
app's engine:

- wait: how long `SELECT pg_advisory_xact_lock(...)` took (blocked behind another feed writer);
- hold: from that lock's return to the transaction's commit (what the next feed writer waits for).

Full size (--scale 1): 8 stations x 20 batches x 500 passes; every 5th batch lists 20 vehicles.
Usage: python benchmarks/bench_feed_lock.py --scale 1. Printing only; nothing asserts on time.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from benchmarks._common import parser, scaled, temp_database

STATIONS = 8
BATCHES = 20
PASSES = 500
LISTED_PER_BATCH = 20
LISTING_EVERY = 5


def pass_body(station: str, record_id: str, plate: str, when: datetime, exceed: bool) -> dict[str, Any]:
    return {
        "station": station,
        "record_id": record_id,
        "measured_at": when.isoformat(),
        "plate": plate,
        "plate_color": "yellow",
        "plate_confidence": 0.95,
        "speed_kmh": 50.0,
        "accel_ms2": 0.5,
        "vsp_kw_t": 10.0,
        "wind_ms": 2.0,
        "co2_pct": 8.0,
        "no_ppm": 500.0,
        "opacity_pct": 55.0 if exceed else 10.0,
        "ringelmann": 0,
        "device_valid": True,
    }


def setup(url: str, stations: int, trucks: int) -> tuple[Any, dict[str, str], list[str]]:
    from vehicle_enforce import create_app
    from vehicle_enforce.auth import services as auth_services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections import stations as station_services
    from vehicle_enforce.vehicles.models import Vehicle
    from vehicle_enforce.vehicles.registry import plate_key

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": tempfile.mkdtemp(prefix="ve-bench-feed-"),
                      "SECRET_KEY": "bench", "BROKER_URL": None})  # fmt: skip
    tokens: dict[str, str] = {}
    plates = [f"晋E{n:05d}" for n in range(trucks)]
    with app.app_context():
        for s in range(stations):
            code = f"JC-RS-{s + 1:02d}"
            station_services.create_station(code=code, kind="remote_sensing", name=code, actor=actors.system("bench"))
            tokens[code] = auth_services.create_token(
                TokenIn(name=f"bench-{code}", department=Department.station, station=code), actor=actors.system("bench")
            ).secret
        for plate in plates:
            truck = {"vehicle_type": "heavy_truck", "fuel": "diesel", "emission_standard": 3, "status": "active"}
            db.session.add(Vehicle(plate=plate, plate_color="yellow", plate_key=plate_key(plate), **truck))
        transaction.commit()
    return app, tokens, plates


def main() -> None:
    args = parser(__doc__ or "").parse_args()
    stations = STATIONS if args.scale >= 0.01 else 2
    batches = scaled(BATCHES, args.scale, minimum=LISTING_EVERY)
    passes = scaled(PASSES, args.scale, minimum=2 * LISTED_PER_BATCH // 4 + 10)
    listed = max(2, min(LISTED_PER_BATCH, passes // 4))
    listing_batches = stations * len(range(0, batches, LISTING_EVERY))
    with temp_database("postgresql") as url:
        app, tokens, plates = setup(url, stations, listing_batches * listed)
        from vehicle_enforce.cases import feed
        from vehicle_enforce.extensions import db

        with app.app_context():
            engine = db.engine
        waits: list[float] = []
        holds: list[float] = []
        commits = {"with_lock": 0, "without_lock": 0}
        guard = threading.Lock()

        @event.listens_for(engine, "before_cursor_execute")
        def started(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "pg_advisory_xact_lock" in statement:
                conn.info["ve_lock_asked"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def finished(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "pg_advisory_xact_lock" in statement and "ve_lock_asked" in conn.info:
                now = time.perf_counter()
                with guard:
                    waits.append(now - conn.info.pop("ve_lock_asked"))
                conn.info["ve_lock_at"] = now

        @event.listens_for(engine, "commit")
        def committed(conn: Any) -> None:
            at = conn.info.pop("ve_lock_at", None)
            with guard:
                if at is None:
                    commits["without_lock"] += 1
                else:
                    commits["with_lock"] += 1
                    holds.append(time.perf_counter() - at)

        day1 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
        day2 = day1 + timedelta(days=1)
        next_plate = iter(plates)
        work: dict[str, list[list[dict[str, Any]]]] = {}
        for s, code in enumerate(tokens):
            work[code] = []
            for b in range(batches):
                items = []
                if b % LISTING_EVERY == 0:  # two exceeding passes on two days for each of `listed` trucks
                    for _ in range(listed):
                        plate = next(next_plate)
                        items.append(pass_body(code, f"{s}-{b}-{plate}-1", plate, day1, exceed=True))
                        items.append(pass_body(code, f"{s}-{b}-{plate}-2", plate, day2, exceed=True))
                while len(items) < passes:  # clean passes of unregistered plates: stored, judged, listed nowhere
                    n = len(items)
                    items.append(pass_body(code, f"{s}-{b}-c{n}", f"晋D{(s * 7919 + b * 131 + n) % 100000:05d}",
                                           day2 + timedelta(seconds=n), exceed=False))  # fmt: skip
                work[code].append(items)
        errors: list[str] = []

        def station(code: str) -> None:
            client = app.test_client()
            for items in work[code]:
                r = client.post("/api/v1/remote-sensing/passes", json={"passes": items},
                                headers={"Authorization": f"Bearer {tokens[code]}"})  # fmt: skip
                if r.status_code not in (200, 201):
                    errors.append(f"{code}: {r.status_code} {r.get_data(as_text=True)[:200]}")

        started_at = time.perf_counter()
        threads = [threading.Thread(target=station, args=(code,)) for code in tokens]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started_at
        if errors:
            raise SystemExit("\n".join(errors[:5]))
        with app.app_context():
            feed_rows = len(feed.read(None, limit=100_000)["changes"])
            db.session.remove()

    def ms(values: list[float], q: float) -> float:
        if not values:
            return 0.0
        ordered = sorted(values)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    total_passes = stations * batches * passes
    print(
        f"feed_lock stations={stations} batches={stations * batches} passes={total_passes} "
        f"listing_batches={listing_batches} feed_rows={feed_rows} "
        f"commits_with_lock={commits['with_lock']} commits_without_lock={commits['without_lock']} "
        f"elapsed_s={elapsed:.1f} passes_per_s={total_passes / elapsed:.0f}"
    )
    print(
        f"feed_lock wait_ms p50={ms(waits, 0.5):.1f} p99={ms(waits, 0.99):.1f} max={ms(waits, 1.0):.1f} "
        f"hold_ms p50={ms(holds, 0.5):.1f} p99={ms(holds, 0.99):.1f} max={ms(holds, 1.0):.1f} "
        f"total_wait_s={sum(waits):.2f} mean_wait_ms={1000 * statistics.fmean(waits) if waits else 0:.1f}"
    )


if __name__ == "__main__":
    main()
