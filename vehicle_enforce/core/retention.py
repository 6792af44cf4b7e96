"""Retention of the partitioned history (PostgreSQL): whole months detached, archived, then dropped.

`run()` (the `vehicle-enforce retention run [--dry-run]` command, daily by the scheduler) looks at every
month partition of the history tables (`core/partitions.py`) whose month ended longer ago than the
table's retention (`VE_RETENTION_DAYS`, defaults in `DEFAULT_DAYS`) and, for each:

1. detaches it (a short lock; the rows leave the table every query reads),
2. writes it to `VE_ARCHIVE_PATH/<table>/<partition>.csv.gz` (COPY as CSV with a header, gzip'd), with
   `<partition>.csv.gz.sha256` (sha256sum's format) and `<partition>.json` (rows, columns, month, sum),
   and checks the file holds as many rows as the table,
3. drops it (a passes month also forgets its duplicate keys, `partitions.forget_pass_keys`, and, through
   the hook inspections registers with `on_drop`, its evidence links and the evidence files no other
   record uses: "passes and evidence 5 years"), except the audit log: its partitions are archived and
   stay detached in the database, append-only (the row trigger is put back: PostgreSQL drops cloned
   triggers on detach) and closed to the application role; they are never dropped.

Everything runs on the maintenance role's connection (`core/maintenance.py`), which owns the tables: the
application role could not detach or drop them. The outbox keeps a month while any of its records is not
acknowledged by its platform. `--dry-run` lists the same steps and changes nothing. Each step is a
transaction of its own: a run stopped halfway resumes (a detached, not yet dropped partition is archived
again and dropped). Each archived partition gets an audit line.

SQLite is not partitioned: retention refuses there (`Unsupported`), as deleting row by row from the
embedded database would be a second mechanism; the hotlist's misses are still purged row-wise by
`hotlist purge`, as on PostgreSQL.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Connection, text

from vehicle_enforce.core import actors, audit, maintenance, partitions

log = logging.getLogger(__name__)

#: A domain's part in dropping a month (see `on_drop`): (maintenance connection, partition name) -> an
#: action to run after the commit, or None.
DropHook = Callable[[Connection, str], Callable[[], object] | None]

#: Days a month partition is kept after its month ended. Passes and hotlist lookups (hits are evidence):
#: 5 years; delivered outbox records: 90 days; the audit log: 5 years online, then archived and detached,
#: never dropped. hotlist_reads follows hotlist_lookups (its foreign key is to the lookup's month).
DEFAULT_DAYS: dict[str, int] = {
    "remote_sensing_passes": 5 * 365 + 2,
    "export_records": 90,
    "hotlist_lookups": 5 * 365 + 2,
    "audit_log": 5 * 365 + 2,
}
#: Logs are kept at least 6 months (网络安全法 art. 21): the audit log's setting may not go lower.
AUDIT_MIN_DAYS = 183
#: Archived and detached, never dropped.
NEVER_DROPPED = frozenset({"audit_log"})
#: Tables whose partitions follow another table's setting (and go first: they reference it).
FOLLOWS = {"hotlist_reads": "hotlist_lookups"}
#: The order of a run: referencing tables before the tables they reference.
ORDER = ("hotlist_reads", "hotlist_lookups", "remote_sensing_passes", "export_records", "audit_log")
#: Outbox records a month must hold only of, to go: acknowledged by their platform.
DELIVERED = "acknowledged"


#: What other domains do when a month of a table is dropped (`on_drop`): table -> {name: hook}.
DROP_HOOKS: dict[str, dict[str, DropHook]] = {}


def on_drop(table: str, hook: DropHook) -> None:
    """Run `hook(connection, partition)` in the transaction that drops a month of `table`, before the drop
    (the rows are still there to read); it returns what to do once that committed (remove files), or
    None. From a domain's `init_app` (registering again is harmless)."""
    DROP_HOOKS.setdefault(table, {})[f"{hook.__module__}.{hook.__qualname__}"] = hook


class Unsupported(RuntimeError):
    """Retention works on partitions: PostgreSQL only."""


@dataclass
class Step:
    """One month partition past its retention, and what the run does (or would do) with it."""

    table: str
    partition: str
    month: str  # YYYY-MM
    rows: int
    attached: bool
    action: str  # "drop" (detach, archive, drop) | "detach" (archive, detach, keep: audit) | "keep"
    reason: str = ""
    archive: str | None = None
    sha256: str | None = None
    error: str | None = None
    done: bool = False

    def describe(self, dry_run: bool) -> str:
        if self.action == "keep":
            return f"kept {self.partition} ({self.rows} rows): {self.reason}"
        if self.error:
            return f"FAILED {self.partition}: {self.error}"
        verb = {"drop": "archive and drop", "detach": "archive and detach (kept in the database)"}[self.action]
        if dry_run:
            return f"would {verb} {self.partition} ({self.rows} rows, month {self.month})"
        done = {"drop": "archived and dropped", "detach": "archived and detached"}[self.action]
        return f"{done} {self.partition} ({self.rows} rows) -> {self.archive} sha256 {self.sha256}"


@dataclass
class Report:
    dry_run: bool
    as_of: datetime
    steps: list[Step] = field(default_factory=list)

    @property
    def failed(self) -> list[Step]:
        return [s for s in self.steps if s.error]


def retention_days() -> dict[str, int]:
    """The configured days per table (VE_RETENTION_DAYS overrides some or all of DEFAULT_DAYS)."""
    configured = current_app.config.get("RETENTION_DAYS") or {}
    if isinstance(configured, str):
        configured = json.loads(configured)
    unknown = set(configured) - set(DEFAULT_DAYS)
    if unknown:
        raise ValueError(f"VE_RETENTION_DAYS names unknown tables {sorted(unknown)}; known: {sorted(DEFAULT_DAYS)}")
    days = {**DEFAULT_DAYS, **{k: int(v) for k, v in configured.items()}}
    if any(v < 1 for v in days.values()):
        raise ValueError("VE_RETENTION_DAYS: every period is at least 1 day")
    if days["audit_log"] < AUDIT_MIN_DAYS:
        raise ValueError(
            f"VE_RETENTION_DAYS: the audit log is kept at least {AUDIT_MIN_DAYS} days (网络安全法 art. 21)"
        )
    return days


def archive_root() -> Path:
    return Path(current_app.config.get("ARCHIVE_PATH") or Path(current_app.instance_path) / "archive")


def plan(connection: Connection, as_of: datetime, days: dict[str, int]) -> list[Step]:
    """The month partitions past their retention at `as_of`, in the order a run handles them."""
    steps: list[Step] = []
    for table in ORDER:
        if table not in partitions.TABLES:
            continue
        cutoff = as_of - timedelta(days=days[FOLLOWS.get(table, table)])
        for part in partitions.list_partitions(connection, table):
            if part.is_default or part.end is None or part.month is None or part.end > cutoff:
                continue
            if table in NEVER_DROPPED and not part.attached:
                continue  # archived and detached by an earlier run: stays as it is
            rows = int(connection.execute(text(f'SELECT count(*) FROM "{part.name}"')).scalar() or 0)  # noqa: S608  (partition names come from the catalogue, checked by partitions)
            step = Step(table, part.name, f"{part.month:%Y-%m}", rows, part.attached, action="drop")
            if table in NEVER_DROPPED:
                step.action = "detach"
            if table == "export_records":
                waiting = int(
                    connection.execute(
                        text(f'SELECT count(*) FROM "{part.name}" WHERE status <> :delivered'),  # noqa: S608  (as above)
                        {"delivered": DELIVERED},
                    ).scalar()
                    or 0
                )
                if waiting:
                    step.action, step.reason = "keep", f"{waiting} outbox records not acknowledged yet"
            steps.append(step)
    return steps


def run(*, dry_run: bool, as_of: datetime | None = None) -> Report:
    """Apply (or with `dry_run` only list) retention; raises Unsupported on SQLite.

    The caller commits the audit lines (the CLI's `atomic`, the task's job transaction)."""
    report = Report(dry_run, as_of or datetime.now(UTC))
    days = retention_days()
    engine = maintenance.engine()
    try:
        if not partitions.supported_engine(engine):
            raise Unsupported(
                "retention works on monthly partitions, which only PostgreSQL has; the embedded SQLite "
                "database is not partitioned and keeps its history (hotlist misses: `hotlist purge`)"
            )
        with engine.connect() as connection:
            report.steps = plan(connection, report.as_of, days)
            connection.rollback()
        if dry_run:
            return report
        root = archive_root()
        for step in report.steps:
            if step.action == "keep":
                continue
            try:
                _apply(engine, step, root)
            except Exception as exc:  # one partition's failure is reported; the others still go
                step.error = f"{exc.__class__.__name__}: {exc}"
                log.exception("retention of %s failed", step.partition)
                continue
            audit.record(
                f"retention.{'dropped' if step.action == 'drop' else 'detached'}",
                "partition",
                step.partition,
                {"table": step.table, "month": step.month, "rows": step.rows, "archive": step.archive,
                 "sha256": step.sha256},
                actor=actors.system("retention"),
            )  # fmt: skip
    finally:
        engine.dispose()
    return report


def _apply(engine: Any, step: Step, root: Path) -> None:
    if step.attached:
        with engine.begin() as connection:
            partitions.detach(connection, step.table, step.partition)
    with engine.begin() as connection:
        step.archive, step.sha256, step.rows = write_archive(connection, step, root)
    after_commit: list[Callable[[], object]] = []
    with engine.begin() as connection:
        if step.action == "drop":
            for hook in DROP_HOOKS.get(step.table, {}).values():  # e.g. the passes' evidence links and files
                action = hook(connection, step.partition)
                if action is not None:
                    after_commit.append(action)
            partitions.drop(connection, step.table, step.partition)
            if step.table == "remote_sensing_passes":  # their duplicate keys go with them (withdrawn ones stay)
                year, month = (int(n) for n in step.month.split("-"))
                partitions.forget_pass_keys(connection, date(year, month, 1))
        else:
            _keep_append_only(connection, step.partition)
    step.done = True
    for action in after_commit:
        try:
            action()
        except Exception:  # the rows are gone already; a file left behind is logged, never fatal
            log.exception("retention: an after-drop action for %s failed", step.partition)


def write_archive(connection: Connection, step: Step, root: Path) -> tuple[str, str, int]:
    """COPY the (detached) partition into a gzip'd CSV file, durably; (path, SHA-256, rows)."""
    folder = root / step.table
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{step.partition}.csv.gz"
    partial = folder / f".{step.partition}.csv.gz.partial"
    rows = int(connection.execute(text(f'SELECT count(*) FROM "{step.partition}"')).scalar() or 0)  # noqa: S608  (catalogue name)
    columns = list(
        connection.execute(
            text(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:t) AND attnum > 0 "
                "AND NOT attisdropped ORDER BY attnum"
            ),
            {"t": step.partition},
        ).scalars()
    )
    raw = connection.connection.driver_connection
    assert raw is not None  # a live psycopg connection
    digest = hashlib.sha256()
    lines = 0
    with open(partial, "wb") as fh:
        with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz, raw.cursor() as cur:
            names = ", ".join(f'"{c}"' for c in columns)
            copy_sql = f'COPY (SELECT {names} FROM "{step.partition}") TO STDOUT WITH (FORMAT csv, HEADER true)'  # noqa: S608  (catalogue names)
            with cur.copy(copy_sql) as copy:
                for chunk in copy:
                    data = bytes(chunk)
                    lines += data.count(b"\n")
                    gz.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    with open(partial, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    # A CSV line per row plus the header, unless a value holds a line break: then count by parsing.
    if lines != rows + 1 and count_rows(partial) != rows:
        partial.unlink()
        raise RuntimeError(f"archive of {step.partition} does not hold its {rows} rows")
    os.replace(partial, target)
    sha = digest.hexdigest()
    (folder / f"{step.partition}.csv.gz.sha256").write_text(f"{sha}  {target.name}\n")
    manifest = {
        "table": step.table,
        "partition": step.partition,
        "month": step.month,
        "rows": rows,
        "columns": columns,
        "sha256": sha,
        "format": "csv, header, gzip (COPY ... WITH (FORMAT csv, HEADER true))",
        "archived_at": datetime.now(UTC).isoformat(),
    }
    (folder / f"{step.partition}.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return str(target), sha, rows


def count_rows(path: Path) -> int:
    """Rows of an archive file (CSV records after the header)."""
    with gzip.open(path, "rb") as gz:
        reader = csv.reader(io.TextIOWrapper(gz, encoding="utf-8", newline=""))
        return sum(1 for _ in reader) - 1


def _keep_append_only(connection: Connection, name: str) -> None:
    """A detached audit partition stays append-only and out of the application's reach."""
    has_trigger = connection.execute(
        text("SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(:t) AND tgname = 'audit_log_append_only'"),
        {"t": name},
    ).first()
    if not has_trigger:
        connection.execute(
            text(
                f'CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "{name}" '
                "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
            )
        )
    connection.execute(text(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "{name}" FROM PUBLIC'))
    if maintenance.separate():
        app_role = maintenance.app_role()
        connection.execute(text(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "{name}" FROM "{app_role}"'))


def restore(archive: Path, into: str) -> int:
    """Load an archive file into a new table `into` shaped like its table; the rows loaded.

    For looking at archived rows again (`vehicle-enforce retention restore`), never into the live table."""
    manifest = json.loads(archive.with_name(archive.name.removesuffix(".csv.gz") + ".json").read_text())
    expected = archive.with_name(archive.name + ".sha256").read_text().split()[0]
    digest = hashlib.sha256()
    with open(archive, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected or expected != manifest["sha256"]:
        raise ValueError(f"{archive}: checksum mismatch, the archive is damaged")
    if not into.replace("_", "").isalnum() or not into[0].isalpha():
        raise ValueError("the new table's name is letters, digits and _")
    names = ", ".join(f'"{c}"' for c in manifest["columns"])
    engine = maintenance.engine()
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE TABLE "{into}" (LIKE "{manifest["table"]}" INCLUDING DEFAULTS)'))
            raw = connection.connection.driver_connection
            assert raw is not None
            copy_sql = f'COPY "{into}" ({names}) FROM STDIN WITH (FORMAT csv, HEADER true)'
            with raw.cursor() as cur, gzip.open(archive, "rb") as gz, cur.copy(copy_sql) as copy:
                for block in iter(lambda: gz.read(1 << 20), b""):
                    copy.write(block)
            loaded = int(connection.execute(text(f'SELECT count(*) FROM "{into}"')).scalar() or 0)  # noqa: S608  (checked name)
    finally:
        engine.dispose()
    if loaded != manifest["rows"]:
        raise ValueError(f"{archive}: {loaded} rows loaded, the manifest says {manifest['rows']}")
    return loaded
