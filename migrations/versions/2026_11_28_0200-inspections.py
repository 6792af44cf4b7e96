"""Inspections: remote-sensing passes, roadside/spot/I站 tests, black-smoke captures, repairs, rule changes

Revision ID: 0200
Revises: 0001
Create Date: 2026-11-28 17:58:37.089619+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db

revision: str = "0200"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_evidence_files_sha256")),
    )
    op.create_table(
        "rule_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_changes")),
    )
    op.create_table(
        "evidence_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("evidence_file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_file_id"], ["evidence_files.id"], name=op.f("fk_evidence_links_evidence_file_id_evidence_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_links")),
        sa.UniqueConstraint(
            "object_type", "object_id", "name", name=op.f("uq_evidence_links_object_type_object_id_name")
        ),
    )
    with op.batch_alter_table("evidence_links", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_links_file", ["evidence_file_id"], unique=False)

    op.create_table(
        "black_smoke_captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.String(length=64), nullable=False),
        sa.Column("captured_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("site", sa.String(length=256), nullable=True),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("plate_color", sa.String(length=16), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("match_decision", sa.String(length=16), nullable=False),
        sa.Column("ringelmann", sa.SmallInteger(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("limit_set", sa.String(length=64), nullable=True),
        sa.Column("review_status", sa.String(length=16), nullable=False),
        sa.Column("reviewed_by", sa.String(length=128), nullable=True),
        sa.Column("reviewed_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_black_smoke_captures_station_id_stations")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_black_smoke_captures_vehicle_id_vehicles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_black_smoke_captures")),
        sa.UniqueConstraint("station_id", "capture_id", name=op.f("uq_black_smoke_captures_station_id_capture_id")),
    )
    with op.batch_alter_table("black_smoke_captures", schema=None) as batch_op:
        batch_op.create_index("ix_black_smoke_captures_review", ["review_status", "id"], unique=False)
        batch_op.create_index("ix_black_smoke_captures_vehicle_captured", ["vehicle_id", "captured_at"], unique=False)

    op.create_table(
        "remote_sensing_passes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("measured_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lane", sa.String(length=16), nullable=True),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("plate_color", sa.String(length=16), nullable=False),
        sa.Column("plate_confidence", sa.Float(), nullable=True),
        sa.Column("plate_status", sa.String(length=16), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("match_decision", sa.String(length=16), nullable=False),
        sa.Column("fuel", sa.String(length=16), nullable=True),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("accel_ms2", sa.Float(), nullable=True),
        sa.Column("vsp_kw_t", sa.Float(), nullable=True),
        sa.Column("wind_ms", sa.Float(), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("humidity_pct", sa.Float(), nullable=True),
        sa.Column("pressure_kpa", sa.Float(), nullable=True),
        sa.Column("co2_pct", sa.Float(), nullable=True),
        sa.Column("co_pct", sa.Float(), nullable=True),
        sa.Column("hc_ppm", sa.Float(), nullable=True),
        sa.Column("no_ppm", sa.Float(), nullable=True),
        sa.Column("opacity_pct", sa.Float(), nullable=True),
        sa.Column("ringelmann", sa.SmallInteger(), nullable=True),
        sa.Column("device_valid", sa.Boolean(), nullable=True),
        sa.Column("device_verdict", sa.String(length=16), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("limit_set", sa.String(length=64), nullable=True),
        sa.Column("exceeded", sa.JSON(), nullable=False),
        sa.Column("invalid_reasons", sa.JSON(), nullable=False),
        sa.Column("photo_names", sa.JSON(), nullable=False),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_remote_sensing_passes_device_id_devices")),
        sa.ForeignKeyConstraint(
            ["station_id"], ["stations.id"], name=op.f("fk_remote_sensing_passes_station_id_stations")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_remote_sensing_passes_vehicle_id_vehicles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_sensing_passes")),
        sa.UniqueConstraint("station_id", "record_id", name=op.f("uq_remote_sensing_passes_station_id_record_id")),
    )
    with op.batch_alter_table("remote_sensing_passes", schema=None) as batch_op:
        batch_op.create_index("ix_remote_sensing_passes_measured_at", ["measured_at"], unique=False)
        batch_op.create_index("ix_remote_sensing_passes_plate", ["plate", "plate_color"], unique=False)
        batch_op.create_index("ix_remote_sensing_passes_vehicle_measured", ["vehicle_id", "measured_at"], unique=False)

    op.create_table(
        "repairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("repair_number", sa.String(length=64), nullable=False),
        sa.Column("repaired_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("plate_color", sa.String(length=16), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("match_decision", sa.String(length=16), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("technician", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_repairs_station_id_stations")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_repairs_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repairs")),
        sa.UniqueConstraint("station_id", "repair_number", name=op.f("uq_repairs_station_id_repair_number")),
    )
    with op.batch_alter_table("repairs", schema=None) as batch_op:
        batch_op.create_index("ix_repairs_vehicle_repaired", ["vehicle_id", "repaired_at"], unique=False)

    op.create_table(
        "roadside_tests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("report_number", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("tested_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("plate_color", sa.String(length=16), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("match_decision", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=256), nullable=True),
        sa.Column("operator", sa.String(length=128), nullable=True),
        sa.Column("readings", sa.JSON(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("limit_set", sa.String(length=64), nullable=True),
        sa.Column("exceeded", sa.JSON(), nullable=False),
        sa.Column("invalid_reasons", sa.JSON(), nullable=False),
        sa.Column("judged_values", sa.JSON(), nullable=False),
        sa.Column("turn_back", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"], name=op.f("fk_roadside_tests_owner_id_owners")),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"], name=op.f("fk_roadside_tests_station_id_stations")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicles.id"], name=op.f("fk_roadside_tests_vehicle_id_vehicles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadside_tests")),
        sa.UniqueConstraint("station_id", "report_number", name=op.f("uq_roadside_tests_station_id_report_number")),
    )
    with op.batch_alter_table("roadside_tests", schema=None) as batch_op:
        batch_op.create_index("ix_roadside_tests_tested_at", ["tested_at"], unique=False)
        batch_op.create_index("ix_roadside_tests_vehicle_tested", ["vehicle_id", "tested_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("roadside_tests", schema=None) as batch_op:
        batch_op.drop_index("ix_roadside_tests_vehicle_tested")
        batch_op.drop_index("ix_roadside_tests_tested_at")

    op.drop_table("roadside_tests")
    with op.batch_alter_table("repairs", schema=None) as batch_op:
        batch_op.drop_index("ix_repairs_vehicle_repaired")

    op.drop_table("repairs")
    with op.batch_alter_table("remote_sensing_passes", schema=None) as batch_op:
        batch_op.drop_index("ix_remote_sensing_passes_vehicle_measured")
        batch_op.drop_index("ix_remote_sensing_passes_plate")
        batch_op.drop_index("ix_remote_sensing_passes_measured_at")

    op.drop_table("remote_sensing_passes")
    with op.batch_alter_table("black_smoke_captures", schema=None) as batch_op:
        batch_op.drop_index("ix_black_smoke_captures_vehicle_captured")
        batch_op.drop_index("ix_black_smoke_captures_review")

    op.drop_table("black_smoke_captures")
    with op.batch_alter_table("evidence_links", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_links_file")

    op.drop_table("evidence_links")
    op.drop_table("rule_changes")
    op.drop_table("evidence_files")
