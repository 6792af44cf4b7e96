"""Hotlist checks on PostgreSQL behind gunicorn: 1,000,000 vehicles, 50,000 active entries (at --scale 1).

    PYTHONPATH=. .venv/bin/python -m benchmarks.bench_hotlist --scale 1 --seconds 20

Prints single checks/s and p50/p99 next to /healthz (a trivial JSON endpoint that also touches the
database) on the same server in the same run, in interleaved rounds (each round's pair and ratio, then
the whole), their ratio, and the time of 1,000-read batches: the
server's own (its Server-Timing header) and as the client saw it (plus JSON and HTTP both ways).
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from typing import Any

import requests

from benchmarks._common import gunicorn, parser, percentile, report, scaled, temp_database

SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def plate(i: int) -> str:
    chars = []
    for _ in range(5):
        i, r = divmod(i, len(SERIAL))
        chars.append(SERIAL[r])
    return "晋" + "ABCEFGHJKLM"[i % 11] + "".join(chars)


def load(url: str, vehicles: int, entries: int) -> tuple[list[str], str, list[str]]:
    """Bulk-load vehicles, active entries and their cases with COPY; return plates and a police token."""
    import psycopg

    from plates import confusion_key
    from vehicle_enforce import create_app
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    raw = url.replace("postgresql+psycopg://", "postgresql://")
    plates = [plate(i) for i in range(vehicles)]
    with psycopg.connect(raw) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY vehicles (plate, plate_color, plate_key, vehicle_type, fuel, emission_standard,"
            " emission_standard_inferred, lean_burn, gas_converted, status, created_at, updated_at) FROM STDIN"
        ) as copy:
            for p in plates:
                copy.write_row(
                    (
                        p,
                        "yellow",
                        confusion_key(p),
                        "heavy_truck",
                        "diesel",
                        3,
                        False,
                        False,
                        False,
                        "active",
                        "2026-01-01T00:00:00Z",
                        "2026-01-01T00:00:00Z",
                    )
                )
        with cur.copy(
            "COPY blacklist_entries (vehicle_id, status, kind, rule, listed_at, listed_by, reason, evidence) FROM STDIN"
        ) as copy:
            for vid in range(1, entries + 1):
                copy.write_row(
                    (
                        vid * (vehicles // entries),
                        "active",
                        "rule",
                        "remote_sensing_repeat",
                        "2026-01-01T00:00:00Z",
                        "system",
                        "180天内2个不同日期的有效检测超标",
                        "[]",
                    )
                )
        cur.execute(
            "INSERT INTO cases (vehicle_id, entry_id, state, opened_at) "
            "SELECT vehicle_id, id, 'confirmed', listed_at FROM blacklist_entries"
        )
        # A server in service has a history of lookups: without one, the tables the lookups write to
        # are new and unanalysed, and the server's cached plans for their foreign-key checks (made
        # when they were empty) scan them, which no deployment sees after its first autoanalyze.
        cur.execute(
            "INSERT INTO hotlist_lookups (at, actor_kind, actor_id, actor_name, department, reason, mode,"
            " read_count, hit_count) SELECT now() - make_interval(secs => g), 'token', 1, 'history', 'police',"
            " '卡口抓拍比对', 'batch', 1, 0 FROM generate_series(1, %s) AS g",
            (max(1000, vehicles // 10),),
        )
        cur.execute("ANALYZE")
        conn.commit()
    app = create_app({"DATABASE_URL": url})
    with app.app_context():
        secret = services.create_token(
            TokenIn(name="bench-police", department=Department("police")), actor=SYSTEM
        ).secret
        transaction.commit()
    listed = [plates[vid * (vehicles // entries) - 1] for vid in range(1, entries + 1)]
    return plates, secret, listed


def _client(args: tuple[str, str, str, list[str], float, int]) -> list[float]:
    base, path, token, plates, seconds, seed = args
    rng = random.Random(seed)
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    samples = []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        params = (
            {"plate": rng.choice(plates), "plate_color": "yellow", "reason": "基准测试"} if "hotlist" in path else None
        )
        started = time.perf_counter()
        r = session.get(base + path, params=params, headers=headers, timeout=30)
        samples.append(time.perf_counter() - started if r.status_code == 200 else float("nan"))
    return samples


def drive(base: str, path: str, token: str, plates: list[str], seconds: float, clients: int) -> dict[str, Any]:
    with mp.get_context("spawn").Pool(clients) as pool:
        runs = pool.map(_client, [(base, path, token, plates, seconds, i) for i in range(clients)])
    return summarise([s for run in runs for s in run], seconds)


def summarise(samples: list[float], seconds: float) -> dict[str, Any]:
    ok = [s * 1000 for s in samples if s == s]
    return {
        "rps": len(ok) / seconds,
        "p50_ms": percentile(ok, 50),
        "p99_ms": percentile(ok, 99),
        "errors": len(samples) - len(ok),
        "samples": samples,
        "seconds": seconds,
    }


def combine(runs: list[dict[str, Any]]) -> dict[str, float]:
    """The rounds of one side as one run: all its samples over all its seconds."""
    whole = summarise([s for run in runs for s in run["samples"]], sum(run["seconds"] for run in runs))
    return {k: v for k, v in whole.items() if k not in ("samples", "seconds")}


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--rounds", type=int, default=4, help="interleaved /healthz and check rounds")
    args = p.parse_args()
    vehicles = scaled(1_000_000, args.scale, minimum=2_000)
    entries = scaled(50_000, args.scale, minimum=100)
    seconds = args.seconds if args.scale >= 0.1 else 2.0
    with temp_database("postgresql") as url:
        started = time.perf_counter()
        plates, token, listed = load(url, vehicles, entries)
        report("hotlist_load", vehicles=vehicles, entries=entries, seconds=time.perf_counter() - started)
        with gunicorn(url, workers=args.workers, threads=1) as base:
            sample = listed[: len(listed) // 2] + random.Random(1).sample(plates, min(len(plates), len(listed) // 2))
            drive(base, "/healthz", token, sample, 1.0, 1)  # warm both workers
            # Interleaved rounds (A, B, A, B...): the machine is shared, and a change of load between
            # two long runs would show as a ratio. Each round's pair and ratio is printed, then the whole.
            trivial_runs, single_runs = [], []
            for n in range(args.rounds):
                part = seconds / args.rounds
                trivial_runs.append(drive(base, "/healthz", token, sample, part, args.clients))
                single_runs.append(drive(base, "/api/v1/hotlist/check", token, sample, part, args.clients))
                a, b = trivial_runs[-1], single_runs[-1]
                report(
                    f"hotlist_round_{n + 1}",
                    healthz_rps=a["rps"],
                    check_rps=b["rps"],
                    ratio=b["rps"] / max(a["rps"], 1e-9),
                    healthz_p99_ms=a["p99_ms"],
                    check_p99_ms=b["p99_ms"],
                )
            trivial, single = combine(trivial_runs), combine(single_runs)
            report("hotlist_trivial_healthz", **trivial)
            report("hotlist_single_check", **single, ratio_to_trivial=single["rps"] / max(trivial["rps"], 1e-9))
            session = requests.Session()
            batch_ms, server_ms = [], []
            rng = random.Random(2)
            for _ in range(5 if args.scale >= 0.1 else 2):
                reads = [{"plate": rng.choice(sample), "plate_color": "yellow"} for _ in range(1000)]
                started = time.perf_counter()
                r = session.post(
                    base + "/api/v1/hotlist/check",
                    json={"reads": reads, "checkpoint": "BENCH-01"},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=60,
                )
                assert r.status_code == 200, r.text[:300]
                batch_ms.append((time.perf_counter() - started) * 1000)
                server_ms.append(float(r.headers["Server-Timing"].partition("dur=")[2]))
            report(
                "hotlist_batch_1000",
                server_median_ms=percentile(server_ms, 50),
                server_max_ms=max(server_ms),
                client_median_ms=percentile(batch_ms, 50),
                client_max_ms=max(batch_ms),
            )


if __name__ == "__main__":
    main()
