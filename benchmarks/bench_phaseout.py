"""Phase-out progress for 20 townships over 1,000,000 vehicles and 100,000 actions (issue 7: under 1 s on PostgreSQL).

``PYTHONPATH=. python benchmarks/bench_phaseout.py --scale 1.0`` loads the registry with COPY (PostgreSQL)
or executemany (SQLite), then times `progress.progress` and the JSON endpoint. Printing only; no thresholds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from benchmarks._common import backends, parser, peak_rss_mb, report, scaled, summary_ms, temp_database

TOWNSHIPS = 20
COLUMNS = (
    "plate",
    "plate_color",
    "plate_key",
    "vehicle_type",
    "fuel",
    "emission_standard",
    "emission_standard_inferred",
    "registration_date",
    "lean_burn",
    "gas_converted",
    "township_id",
    "status",
    "created_at",
    "updated_at",
)


def _vehicles(n: int, township_ids: Sequence[int], rng: random.Random) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Rows for `n` vehicles and the 1-based positions of those eligible for the phase-out."""
    from vehicle_enforce.core.timeutil import now_utc

    now = now_utc()
    rows, eligible = [], []
    for i in range(n):
        kind = rng.random()
        registered = date(2003, 1, 1) + timedelta(days=rng.randint(0, 365 * 17))
        standard = 3 if registered < date(2013, 7, 1) else 5
        lean = converted = False
        if kind < 0.45:
            vtype, fuel = rng.choice(["heavy_truck", "medium_truck", "tractor"]), "diesel"
        elif kind < 0.55:
            vtype, fuel = "heavy_truck", "natural_gas"
            lean, converted = rng.random() < 0.3, rng.random() < 0.2
        else:
            vtype, fuel = "car", "gasoline"
        known = rng.random() > 0.15
        plate = f"晋E{i:06d}"[:8]
        rows.append(
            (
                plate,
                "yellow",
                plate[2:],
                vtype,
                fuel,
                standard if known else None,
                False,
                registered,
                lean,
                converted,
                township_ids[i % len(township_ids)],
                "active",
                now,
                now,
            )
        )
        if (fuel == "diesel" and registered < date(2013, 7, 1)) or lean or converted:
            eligible.append(i + 1)
    return rows, eligible


def _load(url: str, vehicles: int, actions: int) -> None:
    from sqlalchemy import create_engine, insert, select, text

    from vehicle_enforce.auth.models import County, Township
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.phaseout.models import PhaseoutPeriod, PhaseoutQuota
    from vehicle_enforce.vehicles.models import Vehicle

    rng = random.Random(7)
    engine = create_engine(url)
    with engine.begin() as conn:
        have = conn.execute(select(Township.id)).scalars().all()
        county_id = conn.execute(select(County.id).order_by(County.id)).scalars().first()  # the seeded county
        for i in range(len(have), TOWNSHIPS):
            conn.execute(insert(Township).values(code=f"bench{i}", name=f"测试乡{i}", active=True, county_id=county_id))
        township_ids = conn.execute(select(Township.id).order_by(Township.id)).scalars().all()[:TOWNSHIPS]
        rows, eligible = _vehicles(vehicles, township_ids, rng)
        if engine.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            assert raw is not None  # a checked-out connection always has its driver connection
            with raw.cursor() as cur, cur.copy(f"COPY vehicles ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            conn.execute(insert(Vehicle), [dict(zip(COLUMNS, row, strict=True)) for row in rows])
        period = conn.execute(
            insert(PhaseoutPeriod)
            .values(
                code="2019-2020",
                starts_on=date(2019, 1, 1),
                milestones=[
                    {"due": "2019-12-31", "percent": 40.0, "source": "plan"},
                    {"due": "2020-12-31", "percent": 100.0, "source": "assumed"},
                ],
                created_at=now_utc(),
                updated_at=now_utc(),
            )
            .returning(PhaseoutPeriod.id)
        ).scalar_one()
        conn.execute(
            insert(PhaseoutQuota),
            [
                {
                    "period_id": period,
                    "township_id": t,
                    "quota": max(1, len(eligible) // TOWNSHIPS),
                    "updated_at": now_utc(),
                }
                for t in township_ids
            ],
        )
        chosen = rng.sample(eligible, min(actions, len(eligible)))
        kinds = ["scrapped", "deregistered", "transferred_out"]
        action_rows = [
            {
                "vehicle_id": vid,
                "township_id": township_ids[(vid - 1) % len(township_ids)],
                "kind": kinds[vid % 3],
                "action_date": date(2019, 1, 1) + timedelta(days=rng.randint(0, 700)),
                "certificate_no": f"BF{vid}",
                "evidence_files": [],
                "previous_status": "active",
                "recorded_by": "bench",
                "created_at": now_utc(),
            }
            for vid in chosen
        ]
        from vehicle_enforce.phaseout.models import PhaseoutAction

        for start in range(0, len(action_rows), 20_000):
            conn.execute(insert(PhaseoutAction), action_rows[start : start + 20_000])
        conn.execute(
            text("UPDATE vehicles SET status = 'scrapped' WHERE id IN (SELECT vehicle_id FROM phaseout_actions)")
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def run(kind: str, scale: float, repeats: int) -> None:
    from vehicle_enforce import create_app
    from vehicle_enforce.auth import services as auth_services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.phaseout import progress

    vehicles, actions = scaled(1_000_000, scale, 100), scaled(100_000, scale, 10)
    with temp_database(kind) as url:
        start = time.perf_counter()
        _load(url, vehicles, actions)
        loaded = time.perf_counter() - start
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
        with app.app_context():
            secret = auth_services.create_token(
                TokenIn(name="bench", department=Department("transport")), actor=SYSTEM
            ).secret
            transaction.commit()
            samples = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                result = progress.progress(date(2019, 12, 31))
                samples.append(time.perf_counter() - t0)
            client = app.test_client()
            http = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                response = client.get(
                    "/api/v1/phaseout/progress?as_of=2019-12-31", headers={"Authorization": f"Bearer {secret}"}
                )
                http.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.data[:300]
        report(
            f"phaseout.progress[{kind}]",
            vehicles=vehicles,
            actions=actions,
            townships=len(result["townships"]),
            county_done=result["county"]["done"],
            load_s=loaded,
        )
        print("  progress.progress:", summary_ms(samples))
        print("  GET /api/v1/phaseout/progress:", summary_ms(http))
        print(f"  peak RSS {peak_rss_mb():.0f} MB")


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    for kind in backends(args.database):
        run(kind, args.scale, args.repeats)


if __name__ == "__main__":
    main()
