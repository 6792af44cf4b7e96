"""Prometheus metrics at `/metrics`, with prometheus_client; multiprocess mode under gunicorn.

Counters and histograms live in the process that counts (requests by route and status, passes received
and judged, listings, hotlist reads and hits). Under `vehicle-enforce serve` every gunicorn worker (and,
when it shares the directory, the Celery or embedded job worker) writes them to files in
`PROMETHEUS_MULTIPROC_DIR`, which `serve` sets up, and `/metrics` adds them up across processes
(prometheus_client's MultiProcessCollector). Without that directory (tests, `--debug`) they are this
process's own.

Gauges of the stored state (export backlog and transmission rate per target, jobs waiting, the broker
queue) are read from the database when scraped, from the sources the domains register
(`register_gauges`), so they are right whatever process changed the state.

prometheus_client chooses at import whether it writes to the directory, so it is imported only when
the first metric is made (`init_app`, in the worker that serves), never when the `vehicle-enforce`
command is imported: `serve` sets the directory up before gunicorn loads the app.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from vehicle_enforce.core import transaction

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Request latency buckets (seconds): hotlist checks answer in ~10 ms, a 10,000-pass batch in ~1 s.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class Reading:
    """One gauge value read at scrape time."""

    name: str
    documentation: str
    labels: dict[str, str]
    value: float


@dataclass
class _Source:
    read: Callable[[], Iterable[Reading]]
    max_age: float
    kept: dict[str, tuple[float, list[Reading]]] = field(default_factory=dict)  # by database URL

    def readings(self) -> list[Reading]:
        if self.max_age <= 0:
            return list(self.read())
        database, now = str(current_app.config["SQLALCHEMY_DATABASE_URI"]), time.monotonic()
        kept = self.kept.get(database)
        if kept is not None and now - kept[0] < self.max_age:
            return kept[1]
        fresh = list(self.read())
        self.kept[database] = (now, fresh)
        return fresh


def forget_readings() -> None:
    """Read every source afresh at the next scrape (tests that change the state between scrapes)."""
    for source in GAUGE_SOURCES.values():
        source.kept.clear()


#: name -> the source of those gauges (read in the app context of the scrape).
GAUGE_SOURCES: dict[str, _Source] = {}


def register_gauges(name: str, source: Callable[[], Iterable[Reading]], *, max_age: float = 0.0) -> None:
    """Add a source of scrape-time gauges (from a domain's or core's `init_app`; again replaces it).

    `max_age`: seconds a reading is reused by this process, for sources whose query is not cheap."""
    GAUGE_SOURCES[name] = _Source(source, max_age)


class _Instruments:
    def __init__(self) -> None:
        import prometheus_client as prom

        # No `_created` series beside every counter and histogram (Prometheus does not use them).
        prom.disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.registry = prom.CollectorRegistry()
        r = self.registry
        self.requests = prom.Counter(
            "ve_http_requests",
            "HTTP requests answered, by URL rule, method and status",
            ("route", "method", "status"),
            registry=r,
        )
        self.latency = prom.Histogram(
            "ve_http_request_duration_seconds",
            "Time the app took to answer, by URL rule and method",
            ("route", "method"),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.passes = prom.Counter(
            "ve_passes_received",
            "Remote-sensing passes received, by outcome (created: stored and judged; duplicate; conflict; invalid)",
            ("status",),
            registry=r,
        )
        self.judged = prom.Counter(
            "ve_passes_judged", "Remote-sensing passes stored and judged, by verdict", ("verdict",), registry=r
        )
        self.listings = prom.Counter("ve_listings", "Vehicles put on the blacklist", ("kind",), registry=r)
        self.hotlist_reads = prom.Counter(
            "ve_hotlist_reads",
            "Plate reads checked against the hotlist, by mode (single or batch)",
            ("mode",),
            registry=r,
        )
        self.hotlist_hits = prom.Counter(
            "ve_hotlist_hits",
            "Hotlist reads that hit a listed vehicle, by the action answered",
            ("action",),
            registry=r,
        )


_instruments: _Instruments | None = None


def instruments() -> _Instruments:
    global _instruments
    if _instruments is None:
        _instruments = _Instruments()
    return _instruments


def init_app(_app: Flask) -> None:
    """Make the metrics once per process (a second app in the same process counts into the same)."""
    instruments()


def prepare_multiprocess_dir(path: Path) -> Path:
    """Create the directory and drop the files of processes no longer running (a previous run's), as
    `serve` does before gunicorn starts. Files of running processes (a Celery worker sharing it) stay."""
    path.mkdir(parents=True, exist_ok=True)
    for file in path.glob("*.db"):
        pid = file.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            file.unlink(missing_ok=True)
    return path


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- Counting (no-ops until init_app made the metrics; counted when the transaction commits) ---------


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    if _instruments is None:
        return
    _instruments.requests.labels(route, method, str(status)).inc()
    _instruments.latency.labels(route, method).observe(seconds)


def passes_received(statuses: Iterable[str], verdicts: Iterable[str]) -> None:
    """Outcomes of a batch of passes, and the verdicts of those stored; counted once it commits."""
    by_status, by_verdict = _tally(statuses), _tally(verdicts)

    def count() -> None:
        if _instruments is None:
            return
        for status, n in by_status.items():
            _instruments.passes.labels(status).inc(n)
        for verdict, n in by_verdict.items():
            _instruments.judged.labels(verdict).inc(n)

    transaction.on_commit(count)


def vehicles_listed(kinds: Iterable[str]) -> None:
    by_kind = _tally(kinds)

    def count() -> None:
        if _instruments is None:
            return
        for kind, n in by_kind.items():
            _instruments.listings.labels(kind).inc(n)

    transaction.on_commit(count)


def hotlist_checked(mode: str, reads: int, hit_actions: Iterable[str]) -> None:
    by_action = _tally(hit_actions)

    def count() -> None:
        if _instruments is None:
            return
        _instruments.hotlist_reads.labels(mode).inc(reads)
        for action, n in by_action.items():
            _instruments.hotlist_hits.labels(action).inc(n)

    transaction.on_commit(count)


def _tally(values: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for value in values:
        out[str(value)] += 1
    return out


# -- The scrape --------------------------------------------------------------------------------------


class _StoredState:
    """The registered gauge sources, read at each scrape; a failing source is logged and reported as
    `ve_metrics_source_up{source} 0`, never a failed scrape."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        families: dict[str, tuple[str, list[tuple[dict[str, str], float]]]] = {}
        up = GaugeMetricFamily("ve_metrics_source_up", "1 when the source of these gauges answered", labels=["source"])
        for name, source in sorted(GAUGE_SOURCES.items()):
            try:
                readings = source.readings()
            except Exception:
                log.exception("metrics source %s failed", name)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            for reading in readings:
                families.setdefault(reading.name, (reading.documentation, []))[1].append(
                    (reading.labels, reading.value)
                )
        yield up
        for metric, (documentation, samples) in sorted(families.items()):
            label_names = sorted({key for labels, _ in samples for key in labels})
            family = GaugeMetricFamily(metric, documentation, labels=label_names)
            for labels, value in samples:
                family.add_metric([labels.get(key, "") for key in label_names], value)
            yield family


class _Own:
    """This process's own metrics (no multiprocess directory)."""

    def __init__(self, registry: Any) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        yield from self.registry.collect()


def exposition() -> tuple[bytes, str]:
    """The text format of every metric, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    own = instruments()
    registry = CollectorRegistry()
    if own.multiprocess:
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
    else:
        registry.register(_Own(own.registry))
    registry.register(_StoredState())
    return generate_latest(registry), CONTENT_TYPE_LATEST
