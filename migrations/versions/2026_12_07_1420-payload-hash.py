"""Keep a hash of each idempotent record's request payload (a re-send with other content is a conflict);
rule changes can be withdrawn before they take effect

Revision ID: 26b1
Revises: i24b_1246
Create Date: 2026-12-07 12:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db

revision: str = "26b1"
down_revision: str | Sequence[str] | None = "i24b_1246"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("remote_sensing_passes", "black_smoke_captures", "repairs")


def upgrade() -> None:
    # Nullable: records stored before this revision have no hash and re-sends of them stay duplicates.
    for table in TABLES:
        op.add_column(table, sa.Column("payload_sha256", sa.String(64), nullable=True))
    op.add_column(
        "rule_changes", sa.Column("withdrawn_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("rule_changes", sa.Column("withdrawn_by", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rule_changes") as batch:
        batch.drop_column("withdrawn_by")
        batch.drop_column("withdrawn_at")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("payload_sha256")
