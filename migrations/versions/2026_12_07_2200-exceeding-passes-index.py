"""Passes: a partial index of the exceeding ones by vehicle and time, for the listing rule (#29)

The listing rule reads each candidate vehicle's exceeding passes of the last 180 days. Through the
(vehicle_id, measured_at) index it fetched every pass of the vehicle in the window and dropped the ones
that did not exceed, so its time per batch grew with the history (bench_history); this index holds the
exceeding passes only (on PostgreSQL one per month partition, created through the partitioned parent).

Revision ID: 29part_exceeding
Revises: 29ten_counties
Create Date: 2026-12-07 22:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "29part_exceeding"
down_revision: str | Sequence[str] | None = "29ten_counties"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_remote_sensing_passes_exceeding",
        "remote_sensing_passes",
        ["vehicle_id", "measured_at"],
        postgresql_where=sa.text("verdict = 'exceed'"),
        sqlite_where=sa.text("verdict = 'exceed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_remote_sensing_passes_exceeding", table_name="remote_sensing_passes")
