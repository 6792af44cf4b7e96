"""Cases record the penalty basis they cite, the department that imposed it and whether it was a warning

Revision ID: 20261207_1320
Revises: 1207a24
Create Date: 2026-12-07 13:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_1320"
down_revision: str | Sequence[str] | None = "1207a24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("penalty_basis", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("penalty_department", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("penalty_warning", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("penalty_warning")
        batch_op.drop_column("penalty_department")
        batch_op.drop_column("penalty_basis")
