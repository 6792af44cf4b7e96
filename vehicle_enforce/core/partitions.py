"""Monthly partitions of the history tables on PostgreSQL: create, list, detach, drop.

The high-volume history tables are declared partitioned by RANGE on their time column (migration
`2026_12_07_2100-partition-history`); this module is the one place that knows their partitions:

- `ensure(connection)` creates the partitions of the current month and the next `months_ahead` ones
  (idempotent; the `vehicle-enforce partitions ensure` command, run once by `db upgrade`, daily by the
  scheduler), and a DEFAULT partition per table, so a far-off timestamp (a device clock years off, a
  back-filled archive) is stored, never refused. When a month's partition is created for rows already
  in the DEFAULT partition, they move into it.
- `list_partitions(connection, table)` lists a table's partitions with their month bounds;
  `detach(connection, table, name)` and `drop(connection, table, name)` take one out (the retention
  command archives a detached partition before it drops it); after a month of passes is dropped,
  `forget_pass_keys(connection, month)` deletes that month's rows of the unpartitioned key table.

Partitions are named `<table>_pYYYYMM`; the DEFAULT partition is `<table>_default`. A month is a calendar
month in Asia/Shanghai (the month users see: a partition holds exactly the passes of one report month).

SQLite has no partitions: every function here answers "nothing to do" on it (`supported` is False), and
the tables are plain tables there.

The module takes a SQLAlchemy `Connection` (the caller owns the transaction) and never imports models:
the list of partitioned tables is `TABLES`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import Connection, Engine, bindparam, text

from vehicle_enforce.core import maintenance
from vehicle_enforce.core.db import UTCDateTime

#: Asia/Shanghai (no daylight saving): month bounds are local midnights.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

#: How many months after the current one `ensure` creates by default.
DEFAULT_MONTHS_AHEAD = 3


@dataclass(frozen=True)
class PartitionedTable:
    """A table partitioned by month on `column` (a timestamp with time zone)."""

    name: str
    column: str


#: Every partitioned table and its time column, in the order `ensure` creates their partitions.
#: `hotlist_reads` is partitioned by its lookup's time, as its foreign key to `hotlist_lookups` is
#: (lookup_id, lookup_at): a month of reads is dropped before (or with) the same month of lookups.
TABLES: dict[str, PartitionedTable] = {
    t.name: t
    for t in (
        PartitionedTable("remote_sensing_passes", "measured_at"),
        PartitionedTable("export_records", "created_at"),
        PartitionedTable("audit_log", "at"),
        PartitionedTable("hotlist_lookups", "at"),
        PartitionedTable("hotlist_reads", "lookup_at"),
    )
}

#: Statement-level triggers are not inherited by partitions: the audit log's TRUNCATE guard is added
#: to each audit partition as it is created (row-level UPDATE/DELETE guards are inherited).
_PARTITION_TRIGGERS: dict[str, str] = {
    "audit_log": (
        'CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "{partition}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    ),
}

_MONTH_NAME = re.compile(r"_p(\d{4})(\d{2})$")


@dataclass(frozen=True)
class Partition:
    """One partition of a table: a month [start, end) in Asia/Shanghai, or the DEFAULT partition.

    `start` and `end` are aware datetimes (Shanghai midnights of the first day of the month and of the
    next month); both are None for the DEFAULT partition. `attached` is False for a partition that was
    detached (found by name, no longer part of the table).
    """

    table: str
    name: str
    month: date | None
    start: datetime | None
    end: datetime | None
    is_default: bool = False
    attached: bool = True


def supported(connection: Connection) -> bool:
    """True on PostgreSQL, where the history tables are partitioned."""
    return connection.dialect.name == "postgresql"


def supported_engine(engine: Engine) -> bool:
    """`supported` for an engine (no connection needed)."""
    return engine.dialect.name == "postgresql"


def month_of(moment: datetime) -> date:
    """The first day of the Asia/Shanghai month `moment` (aware) falls in."""
    local = moment.astimezone(SHANGHAI)
    return date(local.year, local.month, 1)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after `month` (negative `n`: before)."""
    index = month.year * 12 + (month.month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of a month as aware datetimes (Shanghai midnights)."""
    first = date(month.year, month.month, 1)
    start = datetime(first.year, first.month, 1, tzinfo=SHANGHAI)
    nxt = add_months(first, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=SHANGHAI)


def partition_name(table: str, month: date) -> str:
    """`<table>_pYYYYMM`."""
    return f"{table}_p{month.year:04d}{month.month:02d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _spec(table: str) -> PartitionedTable:
    try:
        return TABLES[table]
    except KeyError:
        raise ValueError(f"{table} is not a partitioned table (known: {', '.join(TABLES)})") from None


def _literal(moment: datetime) -> str:
    # Bounds are built from dates by this module, never from input: an ISO literal with its offset.
    return "'" + moment.isoformat(sep=" ") + "'"


def list_partitions(connection: Connection, table: str) -> list[Partition]:
    """The partitions attached to `table`, months in order, then the DEFAULT partition; [] on SQLite.

    Detached `<table>_pYYYYMM` tables (detached, not yet dropped: the retention command's archive step)
    are listed too, with `attached=False`.
    """
    _spec(table)
    if not supported(connection):
        return []
    rows = connection.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' AS is_default"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass(:table)"
        ),
        {"table": table},
    ).all()
    attached = {name: bool(is_default) for name, is_default in rows}
    detached = connection.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT c.relispartition"
            " AND c.relname LIKE :pattern"
        ),
        {"pattern": table.replace("_", r"\_") + r"\_p______"},
    ).scalars()
    found: list[Partition] = []
    for name in [*attached, *detached]:
        if attached.get(name):
            continue
        match = _MONTH_NAME.search(name)
        if match is None or name != partition_name(table, date(int(match[1]), int(match[2]), 1)):
            continue
        month = date(int(match[1]), int(match[2]), 1)
        start, end = month_bounds(month)
        found.append(Partition(table, name, month, start, end, attached=name in attached))
    found.sort(key=lambda p: (p.month or date.min, p.name))
    found.extend(Partition(table, name, None, None, None, is_default=True) for name, d in attached.items() if d)
    return found


def create_month(connection: Connection, table: str, month: date) -> bool:
    """Create `table`'s partition for `month` if it does not exist; True when it was created.

    Rows of that month already stored in the DEFAULT partition move into the new partition (PostgreSQL
    refuses to create a partition for rows the DEFAULT one holds): the DEFAULT partition is detached, the
    month created, a new DEFAULT partition attached and the old one's rows re-inserted through the table.
    """
    spec = _spec(table)
    if not supported(connection):
        return False
    name = partition_name(table, month)
    if connection.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
        return False
    start, end = month_bounds(month)
    bounds = f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(end)})"
    default = default_name(table)
    has_default = connection.execute(text("SELECT to_regclass(:n)"), {"n": default}).scalar() is not None
    stray = has_default and bool(
        connection.execute(
            text(f'SELECT EXISTS (SELECT 1 FROM "{default}" WHERE "{spec.column}" >= :s AND "{spec.column}" < :e)'),  # noqa: S608  (names from TABLES)
            {"s": start, "e": end},
        ).scalar()
    )
    if stray:
        moving = f"{default}_moving"
        connection.execute(text(f'ALTER TABLE "{table}" DETACH PARTITION "{default}"'))
        connection.execute(text(f'ALTER TABLE "{default}" RENAME TO "{moving}"'))
        connection.execute(text(f'CREATE TABLE "{name}" PARTITION OF "{table}" {bounds}'))
        connection.execute(text(f'CREATE TABLE "{default}" PARTITION OF "{table}" DEFAULT'))
        for created in (name, default):
            _add_partition_triggers(connection, table, created)
        connection.execute(text(f'INSERT INTO "{table}" SELECT * FROM "{moving}"'))  # noqa: S608  (as above)
        connection.execute(text(f'DROP TABLE "{moving}"'))
        return True
    connection.execute(text(f'CREATE TABLE "{name}" PARTITION OF "{table}" {bounds}'))
    _add_partition_triggers(connection, table, name)
    return True


def ensure_default(connection: Connection, table: str) -> bool:
    """Create `table`'s DEFAULT partition if it has none; True when it was created."""
    _spec(table)
    if not supported(connection):
        return False
    name = default_name(table)
    if connection.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
        return False
    connection.execute(text(f'CREATE TABLE "{name}" PARTITION OF "{table}" DEFAULT'))
    _add_partition_triggers(connection, table, name)
    return True


def _add_partition_triggers(connection: Connection, table: str, partition: str) -> None:
    trigger = _PARTITION_TRIGGERS.get(table)
    if trigger is not None:
        connection.execute(text(trigger.format(partition=partition)))


def ensure(
    connection: Connection,
    *,
    months_ahead: int = DEFAULT_MONTHS_AHEAD,
    now: datetime | None = None,
    tables: list[str] | None = None,
) -> list[str]:
    """Create the missing partitions of the current month and the next `months_ahead` months, and the
    DEFAULT partition, of every partitioned table (or of `tables`); return the names created.

    Idempotent: a second run creates nothing. Takes a transaction-level advisory lock so two runs (the
    daily task and a `db upgrade`) do not race. On SQLite: nothing, [].
    """
    if not supported(connection):
        return []
    if months_ahead < 0:
        raise ValueError("months_ahead must be 0 or more")
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('vehicle_enforce.partitions'))"))
    first = month_of(now or datetime.now(UTC))
    created: list[str] = []
    for table in tables or list(TABLES):
        _spec(table)
        for n in range(months_ahead + 1):
            month = add_months(first, n)
            if create_month(connection, table, month):
                created.append(partition_name(table, month))
        if ensure_default(connection, table):
            created.append(default_name(table))
    return created


def detach(connection: Connection, table: str, name: str) -> None:
    """Detach partition `name` from `table`: it stays a plain table (to archive), no longer queried.

    The DEFAULT partition is never detached here. Refuses a name that is not a month partition of
    `table`. (DETACH ... CONCURRENTLY cannot run inside a transaction; this plain DETACH takes a short
    ACCESS EXCLUSIVE lock on the table, measured in `benchmarks/bench_history.py`.)
    """
    _check_month_name(table, name)
    if not supported(connection):
        raise RuntimeError("partitions exist only on PostgreSQL")
    connection.execute(text(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"'))


def drop(connection: Connection, table: str, name: str) -> None:
    """Drop month partition `name` of `table` (attached or detached) with its rows.

    Callers archive first (the retention command writes a compressed file per partition). The audit
    log's partitions are dropped only by the maintenance role that owns them (issue #29).
    """
    _check_month_name(table, name)
    if not supported(connection):
        raise RuntimeError("partitions exist only on PostgreSQL")
    connection.execute(text(f'DROP TABLE "{name}"'))


def forget_pass_keys(connection: Connection, month: date) -> int:
    """Delete the `pass_keys` rows of `month` (the retention step after its passes partition is dropped);
    return how many. Keys a withdrawal refers to stay (the withdrawal record outlives its passes). A
    record of that month sent again afterwards is stored again: it is older than the retention period.
    Works on both databases (SQLite deletes by the same range)."""
    start, end = month_bounds(month)
    statement = text(
        "DELETE FROM pass_keys WHERE measured_at >= :start AND measured_at < :end"
        " AND NOT EXISTS (SELECT 1 FROM withdrawn_passes w WHERE w.pass_id = pass_keys.id)"
    ).bindparams(bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime()))
    result = connection.execute(statement, {"start": start, "end": end})
    return int(result.rowcount or 0)


def _check_month_name(table: str, name: str) -> None:
    _spec(table)
    match = _MONTH_NAME.search(name)
    if match is None or name != partition_name(table, date(int(match[1]), int(match[2]), 1)):
        raise ValueError(f"{name} is not a month partition of {table} (<table>_pYYYYMM)")


def ensure_now(months_ahead: int = DEFAULT_MONTHS_AHEAD) -> list[str]:
    """`ensure` in a transaction of its own as the maintenance role, which owns the tables (the daily
    task, the CLI command, `db upgrade`; `core/maintenance.py`). When partitions were created and the
    application connects as a role of its own, its grants are renewed in the same transaction: new
    partitions get row access by default privileges, and the audit log's ones lose UPDATE and DELETE."""
    with maintenance.connection() as connection:
        if not supported(connection):
            return []
        created = ensure(connection, months_ahead=months_ahead)
        if created and maintenance.separate():
            for statement in maintenance.grant_statements(maintenance.app_role(), maintenance.owner_role()):
                connection.execute(text(statement))
        return created
