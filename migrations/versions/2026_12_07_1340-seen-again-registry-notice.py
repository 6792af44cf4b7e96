"""Seen-again alerts for vehicles the registry holds as scrapped/deregistered; alert notice numbers

A vehicle imported as scrapped or deregistered has no phase-out action, so its seen-again alert names
the registry status instead (`action_id` becomes optional, `registry_status` says what the registry
holds). A heavy-pollution alert gets its notice number (通告文号): a road restriction is penalised only
on the legal basis of a published notice.

Revision ID: 1207a24
Revises: 20261207_1330
Create Date: 2026-12-07 13:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1207a24"
down_revision: str | Sequence[str] | None = "20261207_1330"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("phaseout_seen_again_alerts", schema=None) as batch_op:
        batch_op.alter_column("action_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("registry_status", sa.String(length=16), nullable=True))
    with op.batch_alter_table("pollution_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_no", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pollution_alerts", schema=None) as batch_op:
        batch_op.drop_column("notice_no")
    op.execute("DELETE FROM phaseout_seen_again_alerts WHERE action_id IS NULL")
    with op.batch_alter_table("phaseout_seen_again_alerts", schema=None) as batch_op:
        batch_op.drop_column("registry_status")
        batch_op.alter_column("action_id", existing_type=sa.Integer(), nullable=False)
