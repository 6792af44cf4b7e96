"""Phase-out: periods with milestones, township quotas, phase-out actions, seen-again alerts

Revision ID: 0400
Revises: 0001
Create Date: 2026-11-28 18:22:24.187605+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db

revision: str = "0400"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phaseout_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phaseout_periods")),
        sa.UniqueConstraint("code", name=op.f("uq_phaseout_periods_code")),
    )
    op.create_table(
        "phaseout_quotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("updated_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["period_id"], ["phaseout_periods.id"], name=op.f("fk_phaseout_quotas_period_id_phaseout_periods")
        ),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_phaseout_quotas_township_id_townships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phaseout_quotas")),
        sa.UniqueConstraint("period_id", "township_id", name=op.f("uq_phaseout_quotas_period_id_township_id")),
    )
    op.create_table(
        "phaseout_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("township_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("action_date", sa.Date(), nullable=False),
        sa.Column("certificate_no", sa.String(length=64), nullable=True),
        sa.Column("destination", sa.String(length=128), nullable=True),
        sa.Column("subsidy_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("evidence_files", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("previous_status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["township_id"], ["townships.id"], name=op.f("fk_phaseout_actions_township_id_townships")
        ),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_phaseout_actions_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phaseout_actions")),
        sa.UniqueConstraint("vehicle_id", name=op.f("uq_phaseout_actions_vehicle_id")),
    )
    with op.batch_alter_table("phaseout_actions", schema=None) as batch_op:
        batch_op.create_index("ix_phaseout_actions_township_date", ["township_id", "action_date"], unique=False)

    op.create_table(
        "phaseout_seen_again_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("location", sa.String(length=256), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("handled_by", sa.String(length=128), nullable=True),
        sa.Column("handled_department", sa.String(length=32), nullable=True),
        sa.Column("handled_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("handling_note", sa.Text(), nullable=True),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["phaseout_actions.id"],
            name=op.f("fk_phaseout_seen_again_alerts_action_id_phaseout_actions"),
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_phaseout_seen_again_alerts_vehicle_id_vehicles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phaseout_seen_again_alerts")),
        sa.UniqueConstraint(
            "vehicle_id", "seen_at", "source", name=op.f("uq_phaseout_seen_again_alerts_vehicle_id_seen_at_source")
        ),
    )
    with op.batch_alter_table("phaseout_seen_again_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_phaseout_seen_again_alerts_state", ["state", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("phaseout_seen_again_alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_phaseout_seen_again_alerts_state")

    op.drop_table("phaseout_seen_again_alerts")
    with op.batch_alter_table("phaseout_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_phaseout_actions_township_date")

    op.drop_table("phaseout_actions")
    op.drop_table("phaseout_quotas")
    op.drop_table("phaseout_periods")
