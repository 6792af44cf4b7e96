"""Export records: a partial index of the sendable queue in claim order (#32)

The sender claims the oldest sendable records of a target (`ORDER BY id LIMIT n`). Through the primary
key it walked past every record already acknowledged, reading each from the table, so each claim took
longer than the one before (quadratic over a 1M-record back-log: 2,129 records/s at 1M against 3,736/s
at 100k). This index holds only pending and sent records, by target and id: a claim reads its batch
and the few in flight, and an acknowledged record leaves it (on PostgreSQL one per month partition,
created through the partitioned parent).

Revision ID: 32export_queue
Revises: 30doc_notices
Create Date: 2026-12-08 01:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "32export_queue"
down_revision: str | Sequence[str] | None = "30doc_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED = "status IN ('pending', 'sent')"


def upgrade() -> None:
    op.create_index(
        "ix_export_records_queue",
        "export_records",
        ["target", "id"],
        postgresql_where=sa.text(QUEUED),
        sqlite_where=sa.text(QUEUED),
    )


def downgrade() -> None:
    op.drop_index("ix_export_records_queue", table_name="export_records")
