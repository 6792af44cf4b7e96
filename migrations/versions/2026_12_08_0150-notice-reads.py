"""Notice reads: which person has read which department notice (the home page's inbox, #31)

Revision ID: 31notice_reads
Revises: 31list_indexes
Create Date: 2026-12-08 01:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db

revision: str = "31notice_reads"
down_revision: str | Sequence[str] | None = "31list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = vehicle_enforce.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notice_reads",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("read_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_notice_reads_notice_id_notices")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notice_reads_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "notice_id", name=op.f("pk_notice_reads")),
    )
    with op.batch_alter_table("notice_reads") as batch:
        batch.create_index(batch.f("ix_notice_reads_notice_id"), ["notice_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_reads") as batch:
        batch.drop_index(batch.f("ix_notice_reads_notice_id"))
    op.drop_table("notice_reads")
