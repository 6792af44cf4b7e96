"""Two database roles on PostgreSQL: the application's, which owns nothing, and the maintenance role.

The service connects (`VE_DATABASE_URL`) as a role that may read and write rows but owns no table: it
cannot drop or detach a partition, disable the audit log's append-only trigger, or truncate the audit
log, because PostgreSQL allows those only to a table's owner (or refuses them by privilege). The
maintenance role (`VE_MAINTENANCE_DATABASE_URL`) owns every table: migrations (`db upgrade`), partition
creation and retention (`retention run`) connect as it. `role_statements` is the SQL that creates both
roles and grants what the application needs (`vehicle-enforce db roles` prints or applies it;
deploy/roles.md). With no maintenance URL (development, SQLite, a single-role install) the maintenance
connection is the application's own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from vehicle_enforce import config

log = logging.getLogger(__name__)

#: Default role names (`db roles --app-role/--maintenance-role` change them).
APP_ROLE = "vehicle_enforce_app"
MAINTENANCE_ROLE = "vehicle_enforce_maintenance"

#: Hand every object of the schema to :owner (a quoted literal): a DO block, as ALTER ... OWNER takes no
#: wildcard. Sequences of identity and serial columns follow their table.
_OWN_EVERYTHING = """DO $$ DECLARE r record; BEGIN
FOR r IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND pg_get_userbyid(c.relowner) <> :owner
  AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
    AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
  ORDER BY c.relkind = 'S'
LOOP
  EXECUTE format('ALTER %s %I OWNER TO %I', CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
    WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.relname, :owner);
END LOOP;
FOR r IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> :owner
  AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
LOOP
  EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.sig, :owner);
END LOOP;
FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'r', 'm') AND pg_get_userbyid(t.typowner) <> :owner
LOOP
  EXECUTE format('ALTER TYPE %I OWNER TO %I', r.typname, :owner);
END LOOP;
END $$"""

#: :app (a quoted literal) may only read and append to the audit log and each of its partitions, and
#: only read the migration version.
_AUDIT_READ_APPEND = """DO $$ DECLARE r record; BEGIN
FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND (c.relname = 'audit_log'
    OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass('public.audit_log')))
LOOP
  EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM %I', r.relname, :app);
END LOOP;
IF to_regclass('public.alembic_version') IS NOT NULL THEN
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM %I', :app);
END IF;
END $$"""


def database_url() -> str:
    """The maintenance role's URL, or the application's when none is configured."""
    url = current_app.config.get("MAINTENANCE_DATABASE_URL") or current_app.config["SQLALCHEMY_DATABASE_URI"]
    return config.normalise_database_url(str(url))


def separate() -> bool:
    """True when maintenance connects as a role of its own."""
    return bool(current_app.config.get("MAINTENANCE_DATABASE_URL"))


def app_role() -> str:
    """The role the service connects as (the user of VE_DATABASE_URL)."""
    return str(make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).username)


def owner_role() -> str:
    """The maintenance role (the user of VE_MAINTENANCE_DATABASE_URL, else the service's own)."""
    return str(make_url(database_url()).username)


def engine() -> Engine:
    """An engine for the maintenance role (no pool: it runs a few statements a day)."""
    url = database_url()
    options = config.engine_options(url, bool(current_app.config["DATABASE_PREPARED_STATEMENTS"]))
    for pooling in ("pool_size", "max_overflow"):
        options.pop(pooling, None)
    return create_engine(url, poolclass=NullPool, **options)


@contextmanager
def connection() -> Iterator[Connection]:
    """One transaction as the maintenance role: committed when the block ends, rolled back on an error."""
    eng = engine()
    try:
        with eng.begin() as conn:
            yield conn
    finally:
        eng.dispose()


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name[0].isalpha() or name != name.lower():
        raise ValueError(f"role and database names are lower-case letters, digits and _: {name!r}")
    return f'"{name}"'


#: Settings of the database itself, for every session of every role (ALTER DATABASE ... SET). JIT
#: compilation costs more than the service's short queries take once their cost estimates pass
#: `jit_above_cost` (bench_history: 0.8 s of JIT on a 0.2 s phase-out count); see migration 29jit_off.
DATABASE_SETTINGS = {"jit": "off"}


def database_setting_statements(*, reset: bool = False) -> list[str]:
    """ALTER DATABASE (the current one) SET each of DATABASE_SETTINGS, or RESET them."""
    return [
        f"DO $$ BEGIN EXECUTE format('ALTER DATABASE %I {'RESET ' + name if reset else f'SET {name} = {value}'}', "
        "current_database()); END $$"
        for name, value in DATABASE_SETTINGS.items()
    ]


def apply_database_settings(conn: Connection, *, reset: bool = False) -> bool:
    """Set (or reset) DATABASE_SETTINGS on the current PostgreSQL database when the connected role may
    (a superuser, or a member of the database's owner); new sessions get them. False if it may not (a
    warning says what to run) or on SQLite."""
    if conn.dialect.name != "postgresql":
        return False
    may = conn.execute(
        text(
            "SELECT r.rolsuper OR pg_has_role(current_user, d.datdba, 'MEMBER') FROM pg_roles r, pg_database d"
            " WHERE r.rolname = current_user AND d.datname = current_database()"
        )
    ).scalar()
    if not may:
        log.warning(
            "database settings %s not applied: only the database's owner or a superuser may; run "
            "`vehicle-enforce db roles --apply` as the superuser",
            DATABASE_SETTINGS,
        )
        return False
    for statement in database_setting_statements(reset=reset):
        conn.execute(text(statement))
    return True


def role_statements(database: str, app_role: str = APP_ROLE, maintenance_role: str = MAINTENANCE_ROLE) -> list[str]:
    """SQL (for a superuser) creating both roles, handing every object of the schema to the maintenance
    role and granting the application what it needs. Idempotent: run it again after each `db upgrade`
    that adds tables (new tables get the same grants through default privileges anyway)."""
    db, app, owner = _ident(database), _ident(app_role), _ident(maintenance_role)
    app_lit, owner_lit = f"'{app_role}'", f"'{maintenance_role}'"
    return [
        # Roles: LOGIN, no password here (set one with \password, or use peer/cert authentication).
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {owner_lit}) THEN "
        f"CREATE ROLE {owner} LOGIN; END IF; END $$",
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {app_lit}) THEN "
        f"CREATE ROLE {app} LOGIN; END IF; END $$",
        f"ALTER ROLE {app} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {app}",  # TEMPORARY: bulk writes stage in temp tables
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {owner}",
        # Only the maintenance role creates objects in the schema (PostgreSQL < 15 let everyone).
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE, CREATE ON SCHEMA public TO {owner}",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        # Every table (partitions included: ownership does not cascade to them), view, sequence not owned by
        # a column, function and type of the schema goes to the maintenance role.
        _OWN_EVERYTHING.replace(":owner", owner_lit),
        *grant_statements(app_role, maintenance_role),
        # Settings of the database for every session (no JIT), which only a superuser or its owner may set.
        *database_setting_statements(),
    ]


def grant_statements(app_role: str, maintenance_role: str) -> list[str]:
    """What the application role may do, granted by the maintenance role (or a superuser): `db upgrade`
    runs these again after migrating, so tables a migration creates get them (and the audit log's
    limits) at once."""
    app, owner = _ident(app_role), _ident(maintenance_role)
    app_lit = f"'{app_role}'"
    return [
        # The application reads and writes rows, and uses the sequences...
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        # ...of tables the maintenance role creates later too (new partitions, new migrations' tables).
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
        # The audit log (and each of its partitions) is read and appended to, never changed; the migration
        # version is read (/readyz), never written, by the application.
        _AUDIT_READ_APPEND.replace(":app", app_lit),
    ]
