"""Evidence withdrawals: a station's or device's passes over a period withdrawn, kept and marked

Revision ID: 20261207_1410
Revises: 20261207_1400
Create Date: 2026-12-07 14:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db

revision: str = "20261207_1410"
down_revision: str | Sequence[str] | None = "20261207_1400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_withdrawals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("since", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_evidence_withdrawals_device_id_devices")),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_evidence_withdrawals_station_id_stations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_withdrawals")),
    )
    op.create_table(
        "withdrawn_passes",
        sa.Column("pass_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("withdrawal_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pass_id"], ["remote_sensing_passes.id"], name=op.f("fk_withdrawn_passes_pass_id_remote_sensing_passes")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawal_id"],
            ["evidence_withdrawals.id"],
            name=op.f("fk_withdrawn_passes_withdrawal_id_evidence_withdrawals"),
        ),
        sa.PrimaryKeyConstraint("pass_id", name=op.f("pk_withdrawn_passes")),
    )
    with op.batch_alter_table("withdrawn_passes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_withdrawn_passes_withdrawal_id"), ["withdrawal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("withdrawn_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_withdrawn_passes_withdrawal_id"))
    op.drop_table("withdrawn_passes")
    op.drop_table("evidence_withdrawals")
