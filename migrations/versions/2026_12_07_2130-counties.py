"""Counties: one deployment serves the counties of a city; townships, stations, sites, sampling plans and
cases belong to a county, accounts and tokens to a county or (no county) to the city level (#29)

Existing data (a deployment that served one county) is assigned to the county named by the environment
variable VE_COUNTY_CODE (e.g. 140525); the migration refuses to run without it when there is anything
to assign. A database that holds only what the first migration seeds (泽州县's fifteen townships, no
account, token, station, site, plan or case) is a fresh install: its townships go to VE_COUNTY_CODE's
county when it is set, else to 泽州县 (140525), whose townships they are.

Revision ID: 29ten_counties
Revises: 29part_history
Create Date: 2026-12-07 21:30:00+00:00
"""

import os
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import vehicle_enforce.core.db

revision: str = "29ten_counties"
down_revision: str | Sequence[str] | None = "29part_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Jincheng's counties and districts (GB/T 2260); another city's county needs VE_COUNTY_NAME too.
JINCHENG = {
    "140502": "城区",
    "140521": "沁水县",
    "140522": "阳城县",
    "140524": "陵川县",
    "140525": "泽州县",
    "140581": "高平市",
}
FRESH_INSTALL_COUNTY = "140525"
#: Tables whose existing rows say the database is in use (not just seeded): they need a county.
IN_USE = ("users", "api_tokens", "stations", "nrmm_sites", "nrmm_sampling_plans", "cases")
#: Tables whose existing rows are assigned to the county.
ASSIGNED = ("townships", "users", "api_tokens", "stations", "nrmm_sites", "nrmm_sampling_plans", "cases")
#: The townships the first migration seeds (0001's TOWNSHIPS).
SEEDED_TOWNSHIPS = 15

REFUSAL = (
    "this database holds data of one county: set VE_COUNTY_CODE to the code of that county "
    "(e.g. VE_COUNTY_CODE=140525 for 泽州县) and run the migration again; every existing township, station, "
    "account, token, site, sampling plan and case is assigned to it"
)


def _in_use(conn: sa.Connection) -> bool:
    if any(conn.execute(sa.text(f'SELECT 1 FROM "{t}" LIMIT 1')).first() for t in IN_USE):  # noqa: S608
        return True
    return int(conn.execute(sa.text("SELECT count(*) FROM townships")).scalar() or 0) > SEEDED_TOWNSHIPS


def _county(conn: sa.Connection) -> tuple[str, str]:
    code = (os.environ.get("VE_COUNTY_CODE") or "").strip()
    if not code:
        if _in_use(conn):
            raise RuntimeError(REFUSAL)
        code = FRESH_INSTALL_COUNTY
    if not (code.isdigit() and len(code) == 6):
        raise RuntimeError(f"VE_COUNTY_CODE must be a six-digit division code such as 140525, not {code!r}")
    name = (os.environ.get("VE_COUNTY_NAME") or "").strip() or JINCHENG.get(code)
    if not name:
        raise RuntimeError(f"VE_COUNTY_CODE {code} is not a county of Jincheng: set VE_COUNTY_NAME to its name too")
    return code, name


def upgrade() -> None:
    conn = op.get_bind()
    code, name = _county(conn)  # before any change: a refusal leaves the database as it was
    counties = op.create_table(
        "counties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", vehicle_enforce.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counties")),
        sa.UniqueConstraint("code", name=op.f("uq_counties_code")),
        sa.UniqueConstraint("name", name=op.f("uq_counties_name")),
    )
    op.bulk_insert(counties, [{"code": code, "name": name, "active": True, "created_at": datetime.now(UTC)}])
    county_id = conn.execute(sa.text("SELECT id FROM counties WHERE code = :code"), {"code": code}).scalar_one()

    for table in ASSIGNED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("county_id", sa.Integer(), nullable=True))
        conn.execute(sa.text(f'UPDATE "{table}" SET county_id = :county'), {"county": county_id})  # noqa: S608
    with op.batch_alter_table("townships") as batch:
        batch.alter_column("county_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_townships_county_id_counties"), "counties", ["county_id"], ["id"])
        batch.create_index(batch.f("ix_townships_county_id"), ["county_id"], unique=False)
    for table in ("users", "api_tokens", "stations"):
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(op.f(f"fk_{table}_county_id_counties"), "counties", ["county_id"], ["id"])
    with op.batch_alter_table("nrmm_sites") as batch:
        batch.create_foreign_key(op.f("fk_nrmm_sites_county_id_counties"), "counties", ["county_id"], ["id"])
        batch.create_index(batch.f("ix_nrmm_sites_county_id"), ["county_id"], unique=False)
    with op.batch_alter_table("nrmm_sampling_plans") as batch:
        batch.create_foreign_key(op.f("fk_nrmm_sampling_plans_county_id_counties"), "counties", ["county_id"], ["id"])
        batch.drop_constraint("uq_nrmm_sampling_plans_month", type_="unique")
        batch.create_unique_constraint(op.f("uq_nrmm_sampling_plans_county_id_month"), ["county_id", "month"])
    with op.batch_alter_table("cases") as batch:
        batch.create_foreign_key(op.f("fk_cases_county_id_counties"), "counties", ["county_id"], ["id"])
        batch.create_index(batch.f("ix_cases_county_id"), ["county_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index(batch.f("ix_cases_county_id"))
        batch.drop_constraint(op.f("fk_cases_county_id_counties"), type_="foreignkey")
        batch.drop_column("county_id")
    with op.batch_alter_table("nrmm_sampling_plans") as batch:
        batch.drop_constraint(op.f("uq_nrmm_sampling_plans_county_id_month"), type_="unique")
        batch.drop_constraint(op.f("fk_nrmm_sampling_plans_county_id_counties"), type_="foreignkey")
        batch.drop_column("county_id")
        batch.create_unique_constraint("uq_nrmm_sampling_plans_month", ["month"])
    with op.batch_alter_table("nrmm_sites") as batch:
        batch.drop_index(batch.f("ix_nrmm_sites_county_id"))
        batch.drop_constraint(op.f("fk_nrmm_sites_county_id_counties"), type_="foreignkey")
        batch.drop_column("county_id")
    for table in ("stations", "api_tokens", "users"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"fk_{table}_county_id_counties"), type_="foreignkey")
            batch.drop_column("county_id")
    with op.batch_alter_table("townships") as batch:
        batch.drop_index(batch.f("ix_townships_county_id"))
        batch.drop_constraint(op.f("fk_townships_county_id_counties"), type_="foreignkey")
        batch.drop_column("county_id")
    op.drop_table("counties")
