"""Sessions end on the server, tokens may expire, the audit log also refuses TRUNCATE

Revision ID: 1207_1240
Revises: 20261207_1320
Create Date: 2026-12-07 12:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from vehicle_enforce.core.db import UTCDateTime

revision: str = "1207_1240"
down_revision: str | Sequence[str] | None = "20261207_1320"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The row trigger of 0001 refuses UPDATE and DELETE; TRUNCATE fires only statement-level triggers.
TRUNCATE_TRIGGER = (
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TRUNCATE_TRIGGER)
    # SQLite has no TRUNCATE statement (DELETE without WHERE is refused by 0001's trigger).


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
