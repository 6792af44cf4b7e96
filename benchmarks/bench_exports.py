"""Export 1,000,000 queued records (at --scale 1) to the reference receiver on loopback.

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_exports --scale 1

Prints records/s and the sender's peak memory.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

from werkzeug.serving import make_server

from benchmarks._common import parser, peak_rss_mb, report, scaled, temp_database
from tools.reference_receiver import create_receiver


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
                payload = json.dumps({"record_id": f"R{i}", "verdict": "exceed", "opacity_pct": 45.0})
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


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=1000)
    args = p.parse_args()
    n = scaled(1_000_000, args.scale, minimum=1_000)
    receiver = create_receiver()
    server = make_server("127.0.0.1", 0, receiver, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with temp_database("postgresql") as url:
            queue(url, n)
            from vehicle_enforce import create_app
            from vehicle_enforce.exports import sender

            app = create_app(
                {
                    "DATABASE_URL": url,
                    "EXPORT_TARGETS": {
                        "provincial": {
                            "url": f"http://127.0.0.1:{server.server_port}/records",
                            "batch_size": args.batch_size,
                        },
                        "national": {"url": None},
                    },
                }
            )
            with app.app_context():
                started = time.perf_counter()
                [summary, _] = sender.run()
                elapsed = time.perf_counter() - started
            stats = receiver.config["STATE"]
            report(
                "exports",
                records=n,
                acknowledged=summary.acknowledged,
                seconds=elapsed,
                records_per_s=summary.acknowledged / elapsed,
                peak_rss_mb=peak_rss_mb(),
                receiver_accepted=stats["accepted"],
            )
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
