"""Numbered PDF notices: median ms per notice over 1,000 劝返通知书 issued (at --scale 1) on PostgreSQL.

Each notice is one transaction as a print request makes it: its number taken, its HTML rendered, printed
to PDF by WeasyPrint (CJK font subset embedded) and stored. Also the reprint of a stored notice.

PYTHONPATH=. .venv/bin/python -m benchmarks.bench_documents --scale 1      (or --count 1000)
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time

from benchmarks._common import parser, report, scaled, temp_database


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=None, help="notices to issue (default: 1000 × scale)")
    args = p.parse_args()
    n = args.count or scaled(1000, args.scale, minimum=3)
    for backend in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        with temp_database(backend) as url, tempfile.TemporaryDirectory(prefix="ve-bench-docs-") as folder:
            run(url, backend, n, folder)


def run(url: str, backend: str, n: int, folder: str) -> None:
    from vehicle_enforce import create_app
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.documents import services
    from vehicle_enforce.inspections import examples as ex
    from vehicle_enforce.inspections import roadside, stations
    from vehicle_enforce.inspections.schemas import RoadsideTestIn

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder})
    actor = actors.system("bench")
    with app.app_context():
        name = "泽州县柴油货车联合执法站"
        stations.create_station(code="JC-RD-01", kind="roadside", name=name, township="南村镇", actor=actor)
        ids = []
        for i in range(n):
            body = {**ex.ROADSIDE_TEST_IN, "report_number": f"BENCH-{i}", "plate": f"晋E{10000 + i}"}
            test, _ = roadside.record_test(RoadsideTestIn.model_validate_json(json.dumps(body)), actor=actor)
            ids.append(test.id)
        transaction.commit()
        services.turn_back_notice(ids[0], actor=actor)  # warm-up: fonts loaded, templates compiled
        transaction.commit()
        issue_ms, sizes = [], []
        for test_id in ids[1:]:
            started = time.perf_counter()
            notice = services.turn_back_notice(test_id, actor=actor)
            transaction.commit()
            issue_ms.append((time.perf_counter() - started) * 1000)
            sizes.append(notice.pdf_size)
        reprint_ms = []
        for test_id in ids[1 : 1 + min(100, n - 1)]:
            started = time.perf_counter()
            notice = services.turn_back_notice(test_id, actor=actor)
            _ = len(notice.pdf)
            transaction.commit()
            reprint_ms.append((time.perf_counter() - started) * 1000)
    report(
        "documents_issue",
        database=backend,
        notices=len(issue_ms),
        median_ms=statistics.median(issue_ms),
        p95_ms=statistics.quantiles(issue_ms, n=20)[-1] if len(issue_ms) >= 2 else issue_ms[0],
        mean_kb=statistics.mean(sizes) / 1024,
    )
    report("documents_reprint", database=backend, notices=len(reprint_ms), median_ms=statistics.median(reprint_ms))


if __name__ == "__main__":
    main()
