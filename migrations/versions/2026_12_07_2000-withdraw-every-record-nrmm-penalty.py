"""Withdraw every kind of device record (tests, captures, repairs by withdrawal_id); machinery spot checks
done as enforcement (officers) and a machinery penalty (its decision on the check, its documents among
case_documents)

Revision ID: 20261207_2000
Revises: 26b1
Create Date: 2026-12-07 20:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db

revision: str = "20261207_2000"
down_revision: str | Sequence[str] | None = "26b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_TABLES = ("roadside_tests", "black_smoke_captures", "repairs")


def upgrade() -> None:
    for table in RECORD_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("withdrawal_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                op.f(f"fk_{table}_withdrawal_id_evidence_withdrawals"),
                "evidence_withdrawals",
                ["withdrawal_id"],
                ["id"],
            )
    with op.batch_alter_table("nrmm_spot_checks") as batch:
        batch.add_column(sa.Column("enforcement", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("officers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("penalty_basis", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("penalty_department", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("decision_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("imposed_yuan", sa.Float(), nullable=True))
        batch.add_column(sa.Column("penalty_warning", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("penalized_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("case_documents") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("spot_check_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_case_documents_spot_check_id_nrmm_spot_checks"), "nrmm_spot_checks", ["spot_check_id"], ["id"]
        )
        batch.create_index(batch.f("ix_case_documents_spot_check_id"), ["spot_check_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_documents") as batch:
        batch.drop_index(batch.f("ix_case_documents_spot_check_id"))
        batch.drop_constraint(op.f("fk_case_documents_spot_check_id_nrmm_spot_checks"), type_="foreignkey")
        batch.drop_column("spot_check_id")
    op.execute("DELETE FROM case_documents WHERE case_id IS NULL")
    with op.batch_alter_table("case_documents") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("nrmm_spot_checks") as batch:
        for column in (
            "penalized_at",
            "penalty_warning",
            "imposed_yuan",
            "decision_number",
            "penalty_department",
            "penalty_basis",
            "officers",
            "enforcement",
        ):
            batch.drop_column(column)
    for table in RECORD_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_withdrawal_id_evidence_withdrawals"), type_="foreignkey")
            batch.drop_column("withdrawal_id")
