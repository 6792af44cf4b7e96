"""Alembic environment: every model is imported, the naming convention comes from Base."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlalchemy.schema import SchemaItem

from vehicle_enforce import models_registry  # noqa: F401  (maps every table)
from vehicle_enforce.config import normalise_database_url
from vehicle_enforce.core.db import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = config.get_main_option("sqlalchemy.url") or os.environ.get("VE_DATABASE_URL")
if not url:
    raise SystemExit("set VE_DATABASE_URL (or use `vehicle-enforce db upgrade`)")
config.set_main_option("sqlalchemy.url", normalise_database_url(url).replace("%", "%%"))
target_metadata = Base.metadata


def include_object(
    obj: SchemaItem, name: str | None, type_: str, reflected: bool, compare_to: SchemaItem | None
) -> bool:
    # Never let autogenerate propose dropping a table that exists only in the database.
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch mode rebuilds a table (copy, drop, rename); dropping one that others reference fails
            # while the service's connect hook (core/sqlite.py) enforces foreign keys, so a migration that
            # alters such a table (townships, stations, cases...) could not run on a database with data.
            # Off before the transaction begins (the pragma is ignored inside one), as Alembic advises.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
