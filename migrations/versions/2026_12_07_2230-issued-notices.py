"""Numbered notices (#30): the number sequences per issuing unit (a county's department), kind and year,
and the issued notices with their state and the PDF bytes as printed (at most one notice in force per
subject and kind)

Revision ID: 30doc_notices
Revises: 29part_exceeding
Create Date: 2026-12-07 22:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db

revision: str = "30doc_notices"
down_revision: str | Sequence[str] | None = "29part_exceeding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = vehicle_enforce.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notice_sequences",
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit", "kind", "year", name=op.f("pk_notice_sequences")),
    )
    op.create_table(
        "issued_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("county_id", sa.Integer(), nullable=True),
        sa.Column("unit_name", sa.String(length=128), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("plate", sa.String(length=32), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("facts_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_size", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("voided_by", sa.String(length=128), nullable=True),
        sa.Column("voided_at", UTC, nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_issued_notices_case_id_cases")),
        sa.ForeignKeyConstraint(["county_id"], ["counties.id"], name=op.f("fk_issued_notices_county_id_counties")),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"], ["issued_notices.id"], name=op.f("fk_issued_notices_superseded_by_id_issued_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_notices")),
        sa.UniqueConstraint("code", name=op.f("uq_issued_notices_code")),
        sa.UniqueConstraint("number", name=op.f("uq_issued_notices_number")),
        sa.UniqueConstraint("unit", "kind", "year", "sequence", name=op.f("uq_issued_notices_unit_kind_year_sequence")),
    )
    with op.batch_alter_table("issued_notices") as batch:
        batch.create_index(batch.f("ix_issued_notices_case_id"), ["case_id"], unique=False)
        batch.create_index(batch.f("ix_issued_notices_county_id"), ["county_id"], unique=False)
        batch.create_index("ix_issued_notices_subject", ["subject_type", "subject_id", "kind"], unique=False)
        batch.create_index(
            "uq_issued_notices_current",
            ["subject_type", "subject_id", "kind"],
            unique=True,
            postgresql_where=sa.text("state = 'issued'"),
            sqlite_where=sa.text("state = 'issued'"),
        )


def downgrade() -> None:
    op.drop_table("issued_notices")
    op.drop_table("notice_sequences")
