"""Jobs keep the id of the request that queued them (their log lines and audit rows carry it)

Revision ID: 29obs_jobrid
Revises: 20261207_2000
Create Date: 2026-12-07 20:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "29obs_jobrid"
down_revision: str | Sequence[str] | None = "20261207_2000"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: jobs queued before, and jobs queued outside a request (CLI, beat), have none.
    op.add_column("jobs", sa.Column("request_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("request_id")
