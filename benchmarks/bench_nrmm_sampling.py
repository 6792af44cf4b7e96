"""A month's NRMM sampling plan over 100,000 machines (at --scale 1) on PostgreSQL: seconds to draw it.

PYTHONPATH=. .venv/bin/python -m benchmarks.bench_nrmm_sampling --scale 1
"""

from __future__ import annotations

import time

from benchmarks._common import parser, report, scaled, temp_database


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    n = scaled(100_000, args.scale, minimum=500)
    with temp_database("postgresql") as url:
        import psycopg

        raw = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(raw) as conn, conn.cursor() as cur:
            cur.execute(
                "INSERT INTO nrmm_sites (name, kind, township_id, low_emission_zone) "
                "SELECT '工地' || g, 'construction', 1 + g %% 15, false FROM generate_series(1, %s) g",
                (max(1, n // 50),),
            )
            with cur.copy(
                "COPY nrmm_machines (env_code, pin, machine_type, emission_stage, fuel, rated_power_kw, site_id,"
                " registered_on, status, created_at) FROM STDIN"
            ) as copy:
                for i in range(n):
                    copy.write_row(
                        (
                            f"C{i}",
                            f"P{i}",
                            "excavator",
                            2,
                            "diesel",
                            75.0,
                            1 + i % max(1, n // 50),
                            "2019-10-01",
                            "active",
                            "2019-10-01T00:00:00Z",
                        )
                    )
            conn.commit()
        from vehicle_enforce import create_app
        from vehicle_enforce.core import actors, transaction
        from vehicle_enforce.nrmm import services
        from vehicle_enforce.nrmm.schemas import PlanIn

        app = create_app({"DATABASE_URL": url})
        with app.app_context():
            started = time.perf_counter()
            plan = services.create_plan(PlanIn(month="2019-11", seed=2019), actor=actors.system("bench"))
            transaction.commit()
            elapsed = time.perf_counter() - started
            size = len(plan.items)
        report("nrmm_sampling", machines=n, plan_size=size, seconds=elapsed)


if __name__ == "__main__":
    main()
