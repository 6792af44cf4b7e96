"""SQLite: times written by the bulk writer in the form every other write uses (fraction of a second kept)

The bulk writer (`core/bulk.py`, passes, outbox, hotlist reads, change feed, imports) handed SQLite the
column's value without the SQLite datetime formatting, so a whole-second time was stored as
`2026-12-07 19:45:22` where an ORM write stores `2026-12-07 19:45:22.000000`. SQLite compares the text:
a list's keyset cursor (and any `=` on such a time) then missed or repeated rows. This rewrites the short
form into the long one; PostgreSQL stores real timestamps and is untouched. The audit log is append-only
(a trigger refuses updates): its rows keep what they were written with (its lists page by id).

Revision ID: 32sqlite_times
Revises: 31notice_reads
Create Date: 2026-12-08 02:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "32sqlite_times"
down_revision: str | Sequence[str] | None = "31notice_reads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Append-only tables, never rewritten.
APPEND_ONLY = {"audit_log"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    inspector = sa.inspect(bind)
    for table in inspector.get_table_names():
        if table in APPEND_ONLY or table.startswith(("sqlite_", "alembic_")):
            continue
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sa.DateTime):
                rows = sa.table(table, sa.column(column["name"], sa.String()))
                stored = rows.c[column["name"]]
                op.execute(
                    sa.update(rows)
                    .where(sa.func.length(stored) == len("2019-11-01 08:30:15"))
                    .values({stored: stored.concat(".000000")})
                )


def downgrade() -> None:
    """Nothing to undo: the long form is what every write stores."""
