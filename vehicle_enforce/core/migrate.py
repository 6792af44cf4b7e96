"""Alembic from code: the CLI, the test suite and `make run` migrate through these functions."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

REPO_ROOT = Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    cfg = Config(str(REPO_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    # The service's logging stays (core/logs.py: JSON lines, or text); alembic.ini's own logging setup is
    # for the `alembic` command run by hand (migrations/env.py honours this attribute).
    cfg.attributes["skip_logging"] = True
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise if the models and the migrated database differ (alembic check)."""
    command.check(alembic_config(database_url))


@functools.cache
def script_heads() -> frozenset[str]:
    """The head revisions of the migrations shipped with this code (read once per process)."""
    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def database_heads(connection: Connection) -> frozenset[str]:
    """The revisions the database says it is at (raises before the first migration: no table).

    Read from Alembic's version table directly: a MigrationContext would log two lines at each
    readiness probe."""
    return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
