"""PostgreSQL: no JIT compilation in this database's sessions (#29)

PostgreSQL compiles a query with LLVM once the planner's cost estimate passes `jit_above_cost`
(100,000 by default), and inlines and optimises it past 500,000. Phase-out progress and, as the history
grows, other reads of the service pass those thresholds, and the compilation then costs more than the
query: EXPLAIN ANALYZE on bench_history's database showed JIT taking 0.8 s of a 1.0 s phase-out count
(0.2 s without it). The service runs short queries only; it never gains from JIT.

Set on the database, so every new session gets it whatever its role (the application's, the
maintenance role's, psql) and whatever sits between (PgBouncer passes no startup options). Only the
database's owner or a superuser may: a migration run by another role leaves it and warns;
`vehicle-enforce db roles`, run as the superuser, sets it too (core/maintenance.py).

Revision ID: 29jit_off
Revises: 32export_queue
Create Date: 2026-12-08 01:10:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from vehicle_enforce.core import maintenance

revision: str = "29jit_off"
down_revision: str | Sequence[str] | None = "32export_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    maintenance.apply_database_settings(op.get_bind())


def downgrade() -> None:
    maintenance.apply_database_settings(op.get_bind(), reset=True)
