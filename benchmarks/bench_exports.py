"""Export 1,000,000 queued records (at --scale 1) to the reference receiver on loopback.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_exports --scale 1

The receiver (tools/reference_receiver.py, its protocol and checks unchanged) runs under gunicorn in
its own process (one worker: it counts idempotency keys in memory; threads keep connections alive).
Interleaved rounds (A, B, A, B...) so a change of load on the shared machine hits both sides:
A is the receiver's own ceiling (a no-op sender: the same batches of the same records, built in
memory, posted on a kept-alive session, no database), B is the real sender draining the outbox.
Prints both rates and their ratio, the sender's peak memory, and the receiver's counts (every record
acknowledged once, nothing sent twice), each line with the load average.
"""

from __future__ import annotations

import json
import resource
import time
import uuid
from datetime import UTC, datetime

import orjson
import requests

from benchmarks._common import gunicorn, parser, report, scaled, temp_database

#: One worker (the receiver counts idempotency keys in its memory); threads keep connections alive.
RECEIVER = "tools.reference_receiver:create_receiver()"
PAYLOAD = {"record_id": "R0", "verdict": "exceed", "opacity_pct": 45.0}


def queue(url: str, n: int) -> None:
    import psycopg

    raw = url.replace("postgresql+psycopg://", "postgresql://")
    now = datetime.now(UTC)
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY export_records (target, kind, object_id, station, idempotency_key, payload, occurred_at, due_day,"
            " status, attempts, next_attempt_at, created_at) FROM STDIN"
        ) as copy:
            for i in range(n):
                payload = json.dumps({**PAYLOAD, "record_id": f"R{i}"})
                copy.write_row(
                    (
                        "provincial",
                        "remote_sensing_pass",
                        str(i),
                        "JC-RS-01",
                        f"140500:provincial:remote_sensing_pass:{i}",
                        payload,
                        now,
                        now.date(),
                        "pending",
                        0,
                        now,
                        now,
                    )
                )
        conn.commit()
        # A deployment's autoanalyze has seen its outbox; without statistics the planner takes a
        # million freshly copied rows for a few and sorts the whole queue for every claim.
        cur.execute("ANALYZE export_records")


def ceiling(session: requests.Session, url: str, first: int, n: int, batch_size: int) -> float:
    """Post `n` records in batches as fast as the receiver takes them (no database); seconds taken."""
    occurred = datetime.now(UTC).isoformat()
    started = time.perf_counter()
    for start in range(first, first + n, batch_size):
        records = [
            {
                "idempotency_key": f"ceiling:{i}",
                "kind": "remote_sensing_pass",
                "object_id": str(i),
                "station": "JC-RS-01",
                "occurred_at": occurred,
                "payload": {**PAYLOAD, "record_id": f"R{i}"},
            }
            for i in range(start, min(first + n, start + batch_size))
        ]
        body = {
            "protocol": "1",
            "batch_id": uuid.uuid4().hex,
            "source": {"region_code": "140500", "system": "vehicle-enforce"},
            "target": "provincial",
            "records": records,
        }
        r = session.post(url, data=orjson.dumps(body), headers={"Content-Type": "application/json"}, timeout=60)
        results = orjson.loads(r.content)["results"]
        assert r.status_code == 200 and len(results) == len(records), r.text[:300]
    return time.perf_counter() - started


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=5, help="interleaved ceiling/sender rounds")
    args = p.parse_args()
    n = scaled(1_000_000, args.scale, minimum=1_000)
    rounds = max(1, min(args.rounds, n // args.batch_size))
    per_round = -(-n // rounds)
    with (
        temp_database("postgresql") as url,
        gunicorn(None, workers=1, threads=2, app=RECEIVER, ready_path="/stats") as rx,
    ):
        started = time.perf_counter()
        queue(url, n)
        report("exports_queue", records=n, seconds=time.perf_counter() - started)
        from vehicle_enforce import create_app
        from vehicle_enforce.exports import sender

        app = create_app(
            {
                "DATABASE_URL": url,
                "EXPORT_TARGETS": {
                    "provincial": {"url": rx + "/records", "batch_size": args.batch_size},
                    "national": {"url": None},
                },
            }
        )
        rx_seconds = tx_seconds = 0.0
        acknowledged = sent = 0
        with app.app_context(), requests.Session() as session:
            for r in range(rounds):
                size = min(per_round, n - r * per_round)
                a = ceiling(session, rx + "/records", r * per_round, size, args.batch_size)
                started = time.perf_counter()
                [summary, _] = sender.run(max_batches=-(-size // args.batch_size))
                b = time.perf_counter() - started
                rx_seconds, tx_seconds = rx_seconds + a, tx_seconds + b
                acknowledged, sent = acknowledged + summary.acknowledged, sent + summary.sent
                report(
                    f"exports_round_{r + 1}",
                    ceiling_per_s=size / a,
                    sender_per_s=summary.acknowledged / b,
                    ratio=(summary.acknowledged / b) / (size / a),
                )
            [rest, _] = sender.run()  # nothing may be left over
            acknowledged, sent = acknowledged + rest.acknowledged, sent + rest.sent
        stats = requests.get(rx + "/stats", timeout=30).json()
    report(
        "exports",
        records=n,
        batch_size=args.batch_size,
        acknowledged=acknowledged,
        sent=sent,
        seconds=tx_seconds,
        records_per_s=acknowledged / tx_seconds,
        receiver_ceiling_per_s=n / rx_seconds,
        ratio_to_ceiling=(acknowledged / tx_seconds) / (n / rx_seconds),
        sender_peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    report(
        "exports_receiver",
        accepted=stats["accepted"] - n,  # less the ceiling's own keys
        duplicates=stats["duplicates"],
        max_count=stats["max_count"],
        receiver_peak_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        ok=stats["accepted"] == 2 * n and stats["duplicates"] == 0 and acknowledged == n,
    )


if __name__ == "__main__":
    main()
