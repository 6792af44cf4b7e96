"""Cases name the stored records their steps rest on: the M站 repair and the deciding I站/roadside test

Revision ID: 20261207_1250
Revises: 0700
Create Date: 2026-12-07 12:50:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_1250"
down_revision: str | Sequence[str] | None = "0700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("repair_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retest_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_cases_repair_id_repairs"), "repairs", ["repair_id"], ["id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_retest_id_roadside_tests"), "roadside_tests", ["retest_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_retest_id_roadside_tests"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_cases_repair_id_repairs"), type_="foreignkey")
        batch_op.drop_column("retest_id")
        batch_op.drop_column("repair_id")
