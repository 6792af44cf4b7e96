"""Jobs keep the outcome their task reports to the page that follows it (an import's counts or why its
file was refused): the jobs table is the one place pages read background progress from

Revision ID: 26h_jobresult
Revises: 29obs_jobrid
Create Date: 2026-12-07 20:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "26h_jobresult"
down_revision: str | Sequence[str] | None = "29obs_jobrid"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("result", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("result")
