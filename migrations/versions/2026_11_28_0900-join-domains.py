"""Join the domain migrations into one head (update down_revision when a domain adds a head)

Revision ID: 0900
Revises: 0200, 0400
Create Date: 2026-11-28 18:42:18.178217+00:00
"""

from collections.abc import Sequence

revision: str = "0900"
down_revision: str | Sequence[str] | None = ("0200", "0400")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
