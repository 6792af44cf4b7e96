"""History tables partitioned by month on PostgreSQL (passes, outbox, audit log, hotlist lookups and reads);
a key table of passes keeps duplicate detection across partitions (#29)

PostgreSQL: each table is renamed, a parent partitioned by RANGE on its time column is created with the
same columns and defaults, a primary key of (id, time) (a partitioned table's unique keys must hold its
partition column), partitions for every month that has rows plus the current and next months and a
DEFAULT one (`core/partitions.py`), the rows are copied, then indexes, foreign keys, grants, the audit
log's append-only triggers and the id sequences (owned by the new table, so ids continue) are put back
and the old table is dropped.

Keys that cannot stay unique on a partitioned table:
- passes' (station_id, record_id) moves to the unpartitioned `pass_keys` (station, record id, measured
  time, payload hash); its id is the pass id (its sequence numbers passes from now on), and
  `withdrawn_passes.pass_id` refers to it instead of to the partitioned passes;
- the outbox's (target, idempotency_key) becomes (target, idempotency_key, created_at): an outbox row is
  written only in the transaction that stores its record for the first time, so the records' own keys
  (pass_keys, the other records' unique keys) are what keeps a record from being queued twice;
- `hotlist_reads` gets its lookup's time (`lookup_at`, partitioned on it, so a month of reads goes with
  the same month of lookups) and loses its foreign key to `hotlist_lookups` (it would need (id, at)
  unique on SQLite too, where the id must stay the rowid); reads are written with their lookup in one
  statement.

SQLite stays unpartitioned: the same key table, constraints and column, no partitions.

Revision ID: 29part_history
Revises: 26h_jobresult
Create Date: 2026-12-07 21:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db
from vehicle_enforce.core import partitions

revision: str = "29part_history"
down_revision: str | Sequence[str] | None = "26h_jobresult"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: Unique keys dropped from a table as it is partitioned, and the ones that replace them.
OLD_UNIQUE = {
    "remote_sensing_passes": ("uq_remote_sensing_passes_station_id_record_id", ["station_id", "record_id"]),
    "export_records": ("uq_export_records_target_idempotency_key", ["target", "idempotency_key"]),
}
NEW_UNIQUE = {
    "export_records": (
        "uq_export_records_target_idempotency_key_created_at",
        ["target", "idempotency_key", "created_at"],
    ),
}

AUDIT_TRIGGERS = (
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)


def _is_pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _create_pass_keys() -> None:
    op.create_table(
        "pass_keys",
        sa.Column("id", BigId, nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("measured_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_pass_keys_station_id_stations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_keys")),
        sa.UniqueConstraint("station_id", "record_id", name=op.f("uq_pass_keys_station_id_record_id")),
    )
    op.execute(
        "INSERT INTO pass_keys (id, station_id, record_id, measured_at, payload_sha256)"
        " SELECT id, station_id, record_id, measured_at, payload_sha256 FROM remote_sensing_passes"
    )
    if _is_pg():
        op.execute(
            "SELECT setval(pg_get_serial_sequence('pass_keys', 'id'),"
            " coalesce((SELECT max(id) FROM pass_keys), 0) + 1, false)"
        )


def _hotlist_lookup_at() -> None:
    op.add_column(
        "hotlist_reads", sa.Column("lookup_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE hotlist_reads SET lookup_at = (SELECT at FROM hotlist_lookups WHERE hotlist_lookups.id = lookup_id)"
    )
    with op.batch_alter_table("hotlist_reads") as batch:
        batch.drop_constraint("fk_hotlist_reads_lookup_id_hotlist_lookups", type_="foreignkey")
        batch.alter_column("lookup_at", nullable=False)


def upgrade() -> None:
    _create_pass_keys()
    with op.batch_alter_table("withdrawn_passes") as batch:
        batch.drop_constraint("fk_withdrawn_passes_pass_id_remote_sensing_passes", type_="foreignkey")
        batch.create_foreign_key(op.f("fk_withdrawn_passes_pass_id_pass_keys"), "pass_keys", ["pass_id"], ["id"])
    _hotlist_lookup_at()
    if _is_pg():
        for spec in partitions.TABLES.values():
            _partition(spec.name, spec.column)
        # Passes take their id from pass_keys (stored first: it is the duplicate check).
        op.execute("ALTER TABLE remote_sensing_passes ALTER COLUMN id DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS remote_sensing_passes_id_seq")
        return
    for table, (name, _cols) in OLD_UNIQUE.items():
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="unique")
    for table, (name, cols) in NEW_UNIQUE.items():
        with op.batch_alter_table(table) as batch:
            batch.create_unique_constraint(name, cols)


def downgrade() -> None:
    if _is_pg():
        op.execute("CREATE SEQUENCE remote_sensing_passes_id_seq")
        op.execute(
            "ALTER TABLE remote_sensing_passes ALTER COLUMN id SET DEFAULT nextval('remote_sensing_passes_id_seq')"
        )
        for spec in reversed(list(partitions.TABLES.values())):
            _unpartition(spec.name)
        op.execute("ALTER SEQUENCE remote_sensing_passes_id_seq OWNED BY remote_sensing_passes.id")
        op.execute(
            "SELECT setval('remote_sensing_passes_id_seq',"
            " coalesce((SELECT max(id) FROM remote_sensing_passes), 0) + 1, false)"
        )
    else:
        for table, (name, _cols) in NEW_UNIQUE.items():
            with op.batch_alter_table(table) as batch:
                batch.drop_constraint(name, type_="unique")
        for table, (name, cols) in OLD_UNIQUE.items():
            with op.batch_alter_table(table) as batch:
                batch.create_unique_constraint(name, cols)
    if _is_pg():
        for table, (name, cols) in OLD_UNIQUE.items():
            op.create_unique_constraint(name, table, cols)
    with op.batch_alter_table("hotlist_reads") as batch:
        batch.create_foreign_key("fk_hotlist_reads_lookup_id_hotlist_lookups", "hotlist_lookups", ["lookup_id"], ["id"])
        batch.drop_column("lookup_at")
    with op.batch_alter_table("withdrawn_passes") as batch:
        batch.drop_constraint("fk_withdrawn_passes_pass_id_pass_keys", type_="foreignkey")
        batch.create_foreign_key(
            "fk_withdrawn_passes_pass_id_remote_sensing_passes", "remote_sensing_passes", ["pass_id"], ["id"]
        )
    op.drop_table("pass_keys")


# --- PostgreSQL: converting a table in place --------------------------------------------------------------


def _saved(table: str) -> dict[str, list[str]]:
    """What the new table must get back: plain indexes, foreign keys out, grants (as SQL)."""
    bind = op.get_bind()
    indexes = bind.execute(
        sa.text(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = CAST(:t AS regclass)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ),
        {"t": table},
    ).scalars()
    fks = bind.execute(
        sa.text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"
        ),
        {"t": table},
    ).all()
    grants = bind.execute(
        sa.text(
            "SELECT privilege_type, grantee FROM information_schema.role_table_grants"
            " WHERE table_schema = current_schema() AND table_name = :t"
            " AND grantee <> (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = CAST(:t AS regclass))"
        ),
        {"t": table},
    ).all()
    return {
        "indexes": list(indexes),
        "fks": [f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}' for name, definition in fks],
        "grants": [f'GRANT {privilege} ON "{table}" TO "{grantee}"' for privilege, grantee in grants],
    }


def _drop_keys(table: str) -> None:
    """Drop the old table's constraints and indexes: their names go to the new table, and the copy
    into it is faster without them."""
    bind = op.get_bind()
    constraints = bind.execute(
        sa.text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p','u','f')"),
        {"t": table},
    ).scalars()
    for name in list(constraints):
        op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    indexes = bind.execute(
        sa.text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = CAST(:t AS regclass)"
        ),
        {"t": table},
    ).scalars()
    for name in list(indexes):
        op.execute(f'DROP INDEX "{name}"')


def _sequence(table: str) -> str | None:
    return op.get_bind().execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()


def _partition(table: str, column: str) -> None:
    bind = op.get_bind()
    saved = _saved(table)
    sequence = _sequence(table)
    old = f"{table}__unpartitioned"
    if table == "audit_log":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    _drop_keys(old)
    op.execute(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS) PARTITION BY RANGE ("{column}")')
    op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "pk_{table}" PRIMARY KEY (id, "{column}")')
    if table == "audit_log":
        for trigger in AUDIT_TRIGGERS:
            op.execute(trigger)
    # Every month that has rows, then the current and next months and the DEFAULT partition.
    connection = bind
    months = connection.execute(
        sa.text(f"SELECT DISTINCT date_trunc('month', \"{column}\" AT TIME ZONE 'Asia/Shanghai') FROM \"{old}\"")  # noqa: S608
    ).scalars()
    for month in sorted(m.date() for m in months):
        partitions.create_month(connection, table, month)
    partitions.ensure(connection, tables=[table])
    op.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')  # noqa: S608
    for name, cols in [NEW_UNIQUE[table]] if table in NEW_UNIQUE else []:
        op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" UNIQUE ({", ".join(cols)})')
    for statement in saved["indexes"] + saved["fks"] + saved["grants"]:
        op.execute(statement.replace(f"ON public.{old} ", f"ON public.{table} "))
    if sequence:
        op.execute(f'ALTER SEQUENCE {sequence} OWNED BY "{table}".id')
    op.execute(f'DROP TABLE "{old}"')
    op.execute(f'ANALYZE "{table}"')


def _unpartition(table: str) -> None:
    saved = _saved(table)
    sequence = _sequence(table)
    old = f"{table}__partitioned"
    if table == "audit_log":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    for name in (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p','u','f')"
            ),
            {"t": old},
        )
        .scalars()
        .all()
    ):
        op.execute(f'ALTER TABLE "{old}" DROP CONSTRAINT "{name}"')
    for name in (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE i.indrelid = CAST(:t AS regclass)"
            ),
            {"t": old},
        )
        .scalars()
        .all()
    ):
        op.execute(f'DROP INDEX "{name}"')
    op.execute(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS)')
    op.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')  # noqa: S608
    op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "pk_{table}" PRIMARY KEY (id)')
    for statement in saved["indexes"] + saved["fks"] + saved["grants"]:
        op.execute(statement.replace(f"ON public.{old} ", f"ON public.{table} "))
    if sequence:
        op.execute(f'ALTER SEQUENCE {sequence} OWNED BY "{table}".id')
    if table == "audit_log":
        for trigger in AUDIT_TRIGGERS:
            op.execute(trigger)
    op.execute(f'DROP TABLE "{old}" CASCADE')
