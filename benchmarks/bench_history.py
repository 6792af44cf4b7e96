"""History that stays fast: 10,000,000 passes of 6 counties over 12 months in month partitions (issue #29).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_history.py --scale 1      # 10M passes (20M outbox rows)
    PYTHONPATH=. .venv/bin/python benchmarks/bench_history.py --scale 0.01   # smoke size

On PostgreSQL (the migrated schema: passes, outbox, audit log and hotlist lookups partitioned by month):

1. A registry of 200,000 vehicles (scaled) with a China III phase-out period, quotas and actions, over
   Jincheng's 6 counties and districts (3 townships each); 4 remote-sensing stations per county.
2. Measured with an empty history, after 3,000,000 passes and after 10,000,000 (scaled): the batch
   ingest rate (POST of 10,000 new passes of one station, in process, through the real service:
   judging, matching, the key table, COPY, outbox rows, the listing rule), the listing rule's own time
   per batch, the hotlist's single-check p99 (GET /api/v1/hotlist/check), and phase-out progress.
3. History is loaded with COPY (passes, their keys, two outbox rows each: provincial and national,
   delivered) spread over the 12 months before the current one; the disk used per million passes with
   their outbox rows is printed. 5% of the passes of the oldest 6 months exceed (the listing rule's
   window is 180 days, and COPY runs no rule, so recent exceedances would list at the first measured
   batch what the history should already have listed); the measured batches are the stress case of
   bench_inspections_passes (~70% exceed).
4. The oldest month: its passes and outbox rows are archived (COPY to a gzip file), then its partitions
   detached and dropped (timed), and its keys deleted from `pass_keys`.

Printing only; nothing asserts on time (the issue's aims: figures flat within 20%, detach + drop < 5 s).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import psycopg
from psycopg import sql
from sqlalchemy import create_engine, insert, select, text

from benchmarks._common import PG_ADMIN_URL, parser, percentile, report, scaled, temp_database
from benchmarks.bench_hotlist import plate
from benchmarks.bench_inspections_passes import make_pass

FULL_PASSES = 10_000_000
FULL_VEHICLES = 200_000
FULL_BATCH = 10_000
COUNTIES = 6
STATIONS_PER_COUNTY = 4
MONTHS = 12
CHECKPOINTS = (0.0, 0.3, 1.0)  # history sizes measured, as fractions of the full history
TARGETS = ("provincial", "national")
#: Jincheng's counties and districts (GB/T 2260), as the counties migration knows them.
JINCHENG = {
    "140502": "城区",
    "140521": "沁水县",
    "140522": "阳城县",
    "140524": "陵川县",
    "140525": "泽州县",
    "140581": "高平市",
}
#: History passes get ids from here on (the measured batches take theirs from the key table's sequence).
HISTORY_IDS = 1_000_000_000


def dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def load_registry(url: str, vehicles: int) -> list[str]:
    """Vehicles (a quarter China III diesel, eligible for the phase-out), a period, quotas, actions."""
    from plates import confusion_key
    from vehicle_enforce.auth.models import County, Township
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.phaseout.models import PhaseoutAction, PhaseoutPeriod, PhaseoutQuota

    rng = random.Random(7)
    plates = [plate(i) for i in range(vehicles)]
    engine = create_engine(url)
    with engine.begin() as conn:
        # Jincheng's six counties and districts (the migration seeds 泽州县 and its townships); three
        # townships in each of the others.
        seeded = set(conn.execute(select(County.code)).scalars())
        for code, name in JINCHENG.items():
            if code not in seeded:
                conn.execute(insert(County).values(code=code, name=name, active=True, created_at=now_utc()))
        counties = dict(conn.execute(select(County.code, County.id)).all())
        for code in JINCHENG:
            have = conn.execute(select(Township.id).where(Township.county_id == counties[code])).scalars().all()
            for i in range(len(have), 3):
                conn.execute(
                    insert(Township).values(
                        code=f"b{code}{i}", name=f"{JINCHENG[code]}测试乡{i}", active=True, county_id=counties[code]
                    )
                )
        townships = [
            t
            for code in JINCHENG
            for t in conn.execute(
                select(Township.id).where(Township.county_id == counties[code]).order_by(Township.id).limit(3)
            ).scalars()
        ]
        raw = conn.connection.driver_connection
        assert raw is not None  # a checked-out connection always has its driver connection
        now = now_utc()
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY vehicles (plate, plate_color, plate_key, vehicle_type, fuel, emission_standard,"
                " emission_standard_inferred, registration_date, lean_burn, gas_converted, township_id, status,"
                " created_at, updated_at) FROM STDIN"
            ) as copy,
        ):
            for i, p in enumerate(plates):
                old = i % 4 == 0
                registered = date(2008, 1, 1) if old else date(2016, 1, 1)
                township = townships[i % len(townships)]
                standard = 3 if old else 5
                row = (p, "yellow", confusion_key(p), "heavy_truck", "diesel", standard, False, registered)
                copy.write_row((*row, False, False, township, "active", now, now))
        period = conn.execute(
            insert(PhaseoutPeriod)
            .values(
                code="2019-2020",
                starts_on=date(2019, 1, 1),
                milestones=[{"due": "2020-12-31", "percent": 100.0, "source": "plan"}],
                created_at=now,
                updated_at=now,
            )
            .returning(PhaseoutPeriod.id)
        ).scalar_one()
        conn.execute(
            insert(PhaseoutQuota),
            [
                {"period_id": period, "township_id": t, "quota": vehicles // 4 // len(townships), "updated_at": now}
                for t in townships
            ],
        )
        chosen = rng.sample(range(1, vehicles + 1, 4), vehicles // 40)
        rows = [
            {
                "vehicle_id": vid,
                "township_id": townships[(vid - 1) % len(townships)],
                "kind": "scrapped",
                "action_date": date(2019, 6, 1) + timedelta(days=rng.randint(0, 400)),
                "certificate_no": f"BF{vid}",
                "evidence_files": [],
                "previous_status": "active",
                "recorded_by": "bench",
                "created_at": now,
            }
            for vid in chosen
        ]
        for start in range(0, len(rows), 20_000):
            conn.execute(insert(PhaseoutAction), rows[start : start + 20_000])
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # a registry in service has statistics
    engine.dispose()
    return plates


def station_codes() -> list[str]:
    return [f"C{c}-RS-{s}" for c in range(1, COUNTIES + 1) for s in range(1, STATIONS_PER_COUNTY + 1)]


def county_of_station(code: str) -> str:
    """The county code of station `C<n>-RS-<m>`: the n-th of JINCHENG."""
    return list(JINCHENG)[int(code[1 : code.index("-")]) - 1]


def make_app(url: str) -> Any:
    """The app on the database at `url` (several may live in one process: the wiring connects once)."""
    from vehicle_enforce import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="ve-bench-history-"),
            "SECRET_KEY": "bench",
            "REGION_CODE": "140500",
            "LOG_LEVEL": "WARNING",  # no log line per measured request
        }
    )


def set_up_stations(app: Any) -> dict[str, str]:
    """The stations and the tokens: one per county's first station, one for the police."""
    from vehicle_enforce.auth import services as auth_services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import actors, transaction
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.inspections import stations

    tokens: dict[str, str] = {}
    with app.app_context():
        for code in station_codes():
            stations.create_station(
                code=code,
                kind="remote_sensing",
                name=code,
                county=county_of_station(code),
                actor=actors.system("bench"),
            )
        for c in range(1, COUNTIES + 1):
            code = f"C{c}-RS-1"
            tokens[code] = auth_services.create_token(
                TokenIn(name=f"bench-{code}", department=Department("station"), station=code), actor=SYSTEM
            ).secret
        tokens["police"] = auth_services.create_token(
            TokenIn(name="bench-police", department=Department("police")), actor=SYSTEM
        ).secret
        transaction.commit()
    return tokens


def close_app(app: Any) -> None:
    """Close the app's pooled connections (a database used as a template must have none)."""
    from vehicle_enforce.extensions import db

    with app.app_context():
        db.engine.dispose()


@contextlib.contextmanager
def cloned_database(url: str) -> Iterator[str]:
    """A copy of the database at `url` (CREATE DATABASE ... TEMPLATE), dropped afterwards."""
    source = url.rsplit("/", 1)[1]
    name = f"{source}_h"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        # A template gives its tables, not the database's own settings (migration 29jit_off's jit = off).
        settings = conn.execute(
            "SELECT unnest(s.setconfig) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
            " WHERE d.datname = %s AND s.setrole = 0",
            (source,),
        ).fetchall()
        for (setting,) in settings:
            key, value = setting.split("=", 1)
            conn.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(name), sql.Identifier(key), sql.Literal(value)
                )
            )
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def month_starts(now: datetime) -> list[date]:
    """The first days of the MONTHS months before the current one (Asia/Shanghai), oldest first."""
    from vehicle_enforce.core import partitions

    current = partitions.month_of(now)
    return [partitions.add_months(current, -n) for n in range(MONTHS, 0, -1)]


def create_history_partitions(url: str, months: list[date]) -> None:
    """What `partitions ensure` would have made as those months came (the migration made this month's)."""
    from vehicle_enforce.core import partitions

    engine = create_engine(url)
    with engine.begin() as conn:
        for month in months:
            for table in partitions.TABLES:
                partitions.create_month(conn, table, month)
    engine.dispose()


def load_history(url: str, first: int, count: int, months: list[date], station_ids: list[int], vehicles: int) -> float:
    """COPY passes `first` .. `first + count - 1` (their keys and two delivered outbox rows each), spread
    evenly over `months`; returns the seconds taken."""
    from vehicle_enforce.core import partitions

    spans = [partitions.month_bounds(m) for m in months]
    started = time.perf_counter()
    rng = random.Random(first)
    chunk = 200_000
    with psycopg.connect(dsn(url)) as conn:
        for start in range(first, first + count, chunk):
            end = min(first + count, start + chunk)
            passes, keys, outbox = [], [], []
            for i in range(start, end):
                begin, stop = spans[i % len(spans)]
                at = begin + timedelta(seconds=rng.randrange(int((stop - begin).total_seconds())))
                when = at.astimezone(UTC).isoformat()
                sid = station_ids[i % len(station_ids)]
                rid = f"H{i:010d}"
                vid = rng.randrange(1, vehicles + 1)
                # Exceedances only in the months before the listing rule's 180-day window: COPY runs no rule,
                # so a recent one would make the first measured batch list the vehicles the history should
                # already have listed; every size then does the same rule work over a bigger table.
                exceed = i % len(spans) < len(spans) // 2 and rng.random() < 0.05
                verdict = "exceed" if exceed else "pass"
                exceeded = '[{"item": "opacity", "value": 45.0, "limit": 30.0}]' if exceed else "[]"
                sha = f"{i:064x}"
                pid = HISTORY_IDS + i
                passes.append(
                    f"{pid}\t{sid}\t{rid}\t{when}\t1\t{plate(vid - 1)}\tyellow\t0.95\tread\t{vid}\texact\tdiesel\t"
                    f"50.0\t0.5\t10.0\t2.0\t8.0\t40.0\t90.0\t8.0\t0.2\t80.0\t500.0\t{45.0 if exceed else 10.0}\t"
                    f"0\tt\t\\N\t{verdict}\tb\t{exceeded}\t[]\t[]\t{sha}\t{when}\n"
                )
                keys.append(f"{pid}\t{sid}\t{rid}\t{when}\t{sha}\n")
                payload = orjson.dumps(
                    {
                        "record_id": rid,
                        "plate": plate(vid - 1),
                        "plate_color": "yellow",
                        "verdict": verdict,
                        "measured_at": when,
                        "station": f"S{sid}",
                        "opacity_pct": 45.0 if exceed else 10.0,
                    }
                ).decode()
                for target in TARGETS:
                    outbox.append(
                        f"{target}\tremote_sensing_pass\t{pid}\tS{sid}\t140500:{target}:remote_sensing_pass:{pid}\t"
                        f"{payload}\t{when}\t{at.astimezone(partitions.SHANGHAI).date()}\tacknowledged\t1\t{when}\t"
                        f"{when}\t{when}\t{when}\n"
                    )
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY remote_sensing_passes (id, station_id, record_id, measured_at, lane, plate, plate_color,"
                    " plate_confidence, plate_status, vehicle_id, match_decision, fuel, speed_kmh, accel_ms2, vsp_kw_t,"
                    " wind_ms, temperature_c, humidity_pct, pressure_kpa, co2_pct, co_pct, hc_ppm, no_ppm, opacity_pct,"
                    " ringelmann, device_valid, device_verdict, verdict, limit_set, exceeded, invalid_reasons,"
                    " photo_names, payload_sha256, created_at) FROM STDIN"
                ) as copy:
                    copy.write("".join(passes))
                with cur.copy(
                    "COPY pass_keys (id, station_id, record_id, measured_at, payload_sha256) FROM STDIN"
                ) as copy:
                    copy.write("".join(keys))
                with cur.copy(
                    "COPY export_records (target, kind, object_id, station, idempotency_key, payload, occurred_at,"
                    " due_day, status, attempts, next_attempt_at, sent_at, acknowledged_at, created_at) FROM STDIN"
                ) as copy:
                    copy.write("".join(outbox))
            conn.commit()
    # What a server in service would have done long before anyone measured: autovacuum's ANALYZE after
    # the inserts (statistics for every new partition; VACUUM sets the visibility map, so index-only scans
    # stay index-only) and the checkpointer writing out the gigabytes COPY left dirty (else the first
    # measured minutes pay for it). This server runs with autovacuum off, so the benchmark does both.
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE remote_sensing_passes")
        conn.execute("VACUUM ANALYZE pass_keys")
        conn.execute("VACUUM ANALYZE export_records")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def disk_bytes(url: str) -> dict[str, int]:
    """Bytes of passes, their keys and the outbox (every partition, with indexes and TOAST)."""
    sizes: dict[str, int] = {}
    with psycopg.connect(dsn(url)) as conn:
        for table in ("remote_sensing_passes", "pass_keys", "export_records"):
            row = conn.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " WHERE c.oid = %s::regclass"
                " OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
                (table, table),
            ).fetchone()
            sizes[table] = int(row[0]) if row else 0
    return sizes


@dataclass
class Site:
    """One database measured: its app, its name and the figures of its rounds (wall and CPU time)."""

    history: int
    app: Any
    database: str
    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.wall.setdefault(name, []).append(wall)
        self.cpu.setdefault(name, []).append(cpu)


def load_average() -> str:
    """The machine's 1-minute load average now (other jobs on the same cores move every figure)."""
    return f"{os.getloadavg()[0]:.2f}"


class CpuClock:
    """CPU seconds used so far by this process and by the server processes of one database.

    Wall time on shared cores measures the other jobs as much as the work; CPU time counts only the
    work (the app in this process, its queries in PostgreSQL's backends, read from /proc: the server runs
    on this machine). A backend that starts during a step counts from zero."""

    def __init__(self) -> None:
        self.admin = psycopg.connect(dsn(PG_ADMIN_URL), autocommit=True)
        self.tick = os.sysconf("SC_CLK_TCK")

    def read(self, database: str) -> float:
        pids = [r[0] for r in self.admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]
        ticks = 0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:  # ended since, or not on this machine
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return time.process_time() + ticks / self.tick

    def close(self) -> None:
        self.admin.close()


def one_round(
    site: Site, tokens: dict[str, str], plates: list[str], batch: int, tag: str, rng: random.Random, clock: CpuClock
) -> None:
    """One batch posted (ingest, the listing rule in it), hotlist checks, one progress report: wall and CPU."""
    from vehicle_enforce.blacklist import services as blacklist_services
    from vehicle_enforce.phaseout import progress

    rule: list[tuple[float, float]] = []
    original = blacklist_services.on_verdicts

    def timed_rule(events: Any) -> None:
        c0, t0 = clock.read(site.database), time.perf_counter()
        try:
            original(events)
        finally:
            rule.append((time.perf_counter() - t0, clock.read(site.database) - c0))

    client = site.app.test_client()
    now = datetime.now(UTC)
    county = rng.randrange(COUNTIES) + 1
    code = f"C{county}-RS-1"
    items = []
    for k in range(batch):
        item = make_pass(k, rng)
        item.update(
            station=code,
            record_id=f"M{tag}{k:06d}",
            measured_at=(now - timedelta(seconds=rng.randrange(3600))).isoformat(),
            plate=rng.choice(plates),
        )
        item.pop("photos", None)
        items.append(item)
    body = orjson.dumps({"passes": items})
    blacklist_services.on_verdicts = timed_rule  # type: ignore[assignment]  # timing wrapper, restored below
    try:
        c0, t0 = clock.read(site.database), time.perf_counter()
        res = client.post(
            "/api/v1/remote-sensing/passes",
            data=body,
            headers={"Authorization": f"Bearer {tokens[code]}", "Content-Type": "application/json"},
        )
        elapsed, used = time.perf_counter() - t0, clock.read(site.database) - c0
    finally:
        blacklist_services.on_verdicts = original
    assert res.status_code in (200, 201), res.data[:500]
    # Ingest as a rate (passes per second of wall time, per CPU second); the rule as milliseconds.
    site.add("ingest_passes_per_s", batch / elapsed, batch / used)
    site.add("listing_rule_ms_per_batch", sum(w for w, _ in rule) * 1000, sum(c for _, c in rule) * 1000)
    checks = []
    c0 = clock.read(site.database)
    for _ in range(max(20, min(50, batch // 10))):
        t0 = time.perf_counter()
        res = client.get(
            "/api/v1/hotlist/check",
            query_string={"plate": rng.choice(plates), "plate_color": "yellow", "reason": "基准测试"},
            headers={"Authorization": f"Bearer {tokens['police']}"},
        )
        checks.append((time.perf_counter() - t0) * 1000)
        assert res.status_code == 200, res.data[:300]
    cpu_per_check = (clock.read(site.database) - c0) * 1000 / len(checks)
    site.wall.setdefault("hotlist_checks_ms", []).extend(checks)
    site.cpu.setdefault("hotlist_mean_ms", []).append(cpu_per_check)
    with site.app.app_context():
        c0, t0 = clock.read(site.database), time.perf_counter()
        progress.progress(date(2019, 12, 31))
        site.add("phaseout_progress_ms", (time.perf_counter() - t0) * 1000, (clock.read(site.database) - c0) * 1000)


def figures(site: Site) -> tuple[dict[str, float], dict[str, float]]:
    """The medians of a site's rounds (the hotlist: p50 and p99 of every check), wall and CPU."""
    wall = {name: statistics.median(values) for name, values in site.wall.items() if name != "hotlist_checks_ms"}
    checks = site.wall["hotlist_checks_ms"]
    wall |= {"hotlist_p50_ms": percentile(checks, 50), "hotlist_p99_ms": percentile(checks, 99)}
    return wall, {name: statistics.median(values) for name, values in site.cpu.items()}


def compare(
    empty: Site, full: Site, tokens: dict[str, str], plates: list[str], batch: int, rounds: int, seq: int
) -> None:
    """Measure the empty history and the filled one in alternating rounds (ABBA), so that the machine's
    load, which changes by the minute on shared cores, falls on both alike; print each one's medians and
    the filled one's figures relative to the empty one's (the issue's aim: within 20%), in wall time and
    in CPU time (the app's process and the database's server processes)."""
    for site in (empty, full):
        site.wall, site.cpu = {}, {}
    rng = random.Random(seq)
    clock = CpuClock()
    loads = [load_average()]
    started = time.perf_counter()
    try:
        for r in range(rounds):
            order = (empty, full) if r % 2 == 0 else (full, empty)
            for site in order:
                one_round(site, tokens, plates, batch, f"{seq:02d}{r:03d}", rng, clock)
            loads.append(load_average())
    finally:
        clock.close()
    (base_wall, base_cpu), (wall, cpu) = figures(empty), figures(full)
    for site, (w, c) in ((empty, (base_wall, base_cpu)), (full, (wall, cpu))):
        report("history_measure", history_passes=site.history, batch=batch, rounds=rounds, **w)
        report("history_measure_cpu", history_passes=site.history, **c)
        # Every round's figure too, in the order measured: one odd round, or a drift, shows here.
        report(
            "history_rounds",
            history_passes=site.history,
            **{
                f"{k}_wall": "/".join(f"{v:.4g}" for v in vs) for k, vs in site.wall.items() if k != "hotlist_checks_ms"
            },
            **{f"{k}_cpu": "/".join(f"{v:.4g}" for v in vs) for k, vs in site.cpu.items()},
        )
    report(
        "history_relative",
        history_passes=full.history,
        **{name: wall[name] / base_wall[name] for name in base_wall},
        seconds=time.perf_counter() - started,
        load_average="/".join(loads),
    )
    report(
        "history_relative_cpu", history_passes=full.history, **{name: cpu[name] / base_cpu[name] for name in base_cpu}
    )


def retire_oldest_month(url: str, month: date) -> None:
    """Archive the oldest month of passes and outbox rows, then detach and drop their partitions (timed)."""
    from vehicle_enforce.core import partitions

    folder = tempfile.mkdtemp(prefix="ve-bench-archive-")
    archived = 0
    started = time.perf_counter()
    with psycopg.connect(dsn(url)) as conn:
        for table in ("remote_sensing_passes", "export_records"):
            name = partitions.partition_name(table, month)
            path = os.path.join(folder, f"{name}.copy.gz")
            with (
                gzip.open(path, "wb", compresslevel=1) as out,
                conn.cursor() as cur,
                cur.copy(f'COPY "{name}" TO STDOUT') as copy,
            ):
                for data in copy:
                    out.write(data)
            archived += os.path.getsize(path)
    archive_s = time.perf_counter() - started
    engine = create_engine(url)
    timings = {}
    for table in ("remote_sensing_passes", "export_records"):
        name = partitions.partition_name(table, month)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            partitions.detach(conn, table, name)
        detached = time.perf_counter() - t0
        with engine.begin() as conn:
            partitions.drop(conn, table, name)
        timings[table] = (detached, time.perf_counter() - t0)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        keys = partitions.forget_pass_keys(conn, month)
    keys_s = time.perf_counter() - t0
    engine.dispose()
    for path in os.listdir(folder):
        os.unlink(os.path.join(folder, path))
    os.rmdir(folder)
    report(
        "history_retire_month",
        month=month.isoformat()[:7],
        archive_s=archive_s,
        archive_mb=archived / 1e6,
        passes_detach_s=timings["remote_sensing_passes"][0],
        passes_detach_drop_s=timings["remote_sensing_passes"][1],
        outbox_detach_s=timings["export_records"][0],
        outbox_detach_drop_s=timings["export_records"][1],
        keys_deleted=keys,
        keys_delete_s=keys_s,
    )


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7, help="rounds (one batch per database) at each history size")
    args = p.parse_args()
    if args.database != "postgresql":
        raise SystemExit("partitions exist only on PostgreSQL")
    total = scaled(FULL_PASSES, args.scale, minimum=1_000)
    vehicles = scaled(FULL_VEHICLES, args.scale, minimum=2_000)
    batch = scaled(FULL_BATCH, args.scale, minimum=200)
    report("history_start", at=datetime.now(UTC).isoformat(timespec="minutes"), load_average=load_average())
    with temp_database("postgresql") as url:
        t0 = time.perf_counter()
        plates = load_registry(url, vehicles)
        setup = make_app(url)
        tokens = set_up_stations(setup)
        close_app(setup)
        months = month_starts(datetime.now(UTC))
        create_history_partitions(url, months)
        with psycopg.connect(dsn(url)) as conn:
            station_ids = [row[0] for row in conn.execute("SELECT id FROM stations ORDER BY id")]
        report(
            "history_setup",
            vehicles=vehicles,
            stations=len(station_ids),
            counties=COUNTIES,
            seconds=time.perf_counter() - t0,
        )
        # The same registry, stations and tokens twice: one database keeps an empty history, the other
        # grows; every size is measured against the empty one at the same time.
        with cloned_database(url) as full_url:
            empty = Site(0, make_app(url), url.rsplit("/", 1)[1])
            full = Site(0, make_app(full_url), full_url.rsplit("/", 1)[1])
            loaded = 0
            for seq, fraction in enumerate(CHECKPOINTS):
                want = int(total * fraction)
                if want > loaded:
                    seconds = load_history(full_url, loaded, want - loaded, months, station_ids, vehicles)
                    report(
                        "history_copy",
                        passes=want - loaded,
                        outbox_rows=2 * (want - loaded),
                        seconds=seconds,
                        passes_per_s=(want - loaded) / seconds,
                        load_average=load_average(),
                    )
                    loaded = want
                    sizes = disk_bytes(full_url)
                    per_million = sum(sizes.values()) / (loaded / 1e6)
                    report(
                        "history_disk",
                        passes=loaded,
                        passes_mb=sizes["remote_sensing_passes"] / 1e6,
                        keys_mb=sizes["pass_keys"] / 1e6,
                        outbox_mb=sizes["export_records"] / 1e6,
                        mb_per_million_passes_with_outbox=per_million / 1e6,
                    )
                full.history = loaded
                compare(empty, full, tokens, plates, batch, args.rounds, seq)
            retire_oldest_month(full_url, months[0])
            close_app(empty.app)
            close_app(full.app)


if __name__ == "__main__":
    main()
