"""Lists (#31): indexes for the blacklist page's order and the export page's records needing a person

The blacklist page lists the active entries newest first with a keyset on (listed_at, id): an index on
(status, listed_at) reads a page from the index. The export page lists failed and rejected records in
id order: through the primary key it walked past every acknowledged record (a back-log of a million)
to find the few that need a person; a partial index holds only those (on PostgreSQL one per month
partition, created through the partitioned parent).

Revision ID: 31list_indexes
Revises: 29jit_off
Create Date: 2026-12-08 01:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "31list_indexes"
down_revision: str | Sequence[str] | None = "29jit_off"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROBLEMS = "status IN ('failed', 'rejected')"


def upgrade() -> None:
    op.create_index("ix_blacklist_entries_status_listed", "blacklist_entries", ["status", "listed_at"])
    op.create_index(
        "ix_export_records_problems",
        "export_records",
        ["id"],
        postgresql_where=sa.text(PROBLEMS),
        sqlite_where=sa.text(PROBLEMS),
    )


def downgrade() -> None:
    op.drop_index("ix_export_records_problems", table_name="export_records")
    op.drop_index("ix_blacklist_entries_status_listed", table_name="blacklist_entries")
