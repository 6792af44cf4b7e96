"""Documents of the penalty procedure: prior notice, decision, their service and the owner's answer

Revision ID: 20261207_1400
Revises: 20261207_1350
Create Date: 2026-12-07 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db

revision: str = "20261207_1400"
down_revision: str | Sequence[str] | None = "20261207_1350"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        sa.Column("issued_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("served_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("service_method", sa.String(length=16), nullable=True),
        sa.Column("served_to", sa.String(length=128), nullable=True),
        sa.Column("answer_due", sa.Date(), nullable=True),
        sa.Column("answered_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer_kind", sa.String(length=16), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_documents_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_documents")),
    )
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_documents_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_documents_case_id"))
    op.drop_table("case_documents")
