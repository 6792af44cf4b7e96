"""The `vehicle-enforce` command: a Flask CLI that loads the app, with one group per domain.

Importing this module attaches nothing: `build_cli()` builds the root command and `add_commands` attaches
every command to it, in the order of `COMMANDS`; the entry point (`main`) builds it on each run.
`create_app` does not attach them to `app.cli`: every web worker would import the CLI's modules (Alembic,
the demo data) for a `flask` command nobody runs.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from vehicle_enforce import config, create_app
from vehicle_enforce.auth.cli import counties, tokens, townships, users
from vehicle_enforce.core import logs, maintenance, metrics, migrate, partitions
from vehicle_enforce.core.jobs_cli import jobs_command, start_embedded_worker, worker
from vehicle_enforce.core.partitions_cli import partitions_group
from vehicle_enforce.core.retention_cli import retention_group
from vehicle_enforce.demo import demo
from vehicle_enforce.enforcement.cli import hotlist_group
from vehicle_enforce.exports.cli import export_group
from vehicle_enforce.inspections.cli import import_remote_sensing, stations
from vehicle_enforce.nrmm.cli import import_nrmm
from vehicle_enforce.phaseout.cli import phaseout
from vehicle_enforce.platereading_cli import plates
from vehicle_enforce.summary.cli import reports_group
from vehicle_enforce.vehicles.cli import import_vehicles


def _create_app(*_args: Any, **_kwargs: Any) -> Any:
    return create_app()


def build_cli() -> FlaskGroup:
    """The root `vehicle-enforce` command with every domain's commands (a new one on each call)."""
    root = FlaskGroup(
        name="vehicle-enforce",
        help="vehicle-enforce: 机动车排放执法平台.",
        create_app=_create_app,
        add_default_commands=False,
    )
    add_commands(root)
    return root


def main(args: Sequence[str] | None = None) -> Any:
    """The console script `vehicle-enforce` (pyproject.toml) and `python -m vehicle_enforce`."""
    return build_cli().main(args=args)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Flask's development server with the debugger (never in production).")
@click.option(
    "--job-worker/--no-job-worker",
    default=True,
    show_default=True,
    help="Without VE_BROKER_URL, also run `vehicle-enforce worker` (the embedded job queue) beside the server.",
)
def serve(host: str, port: int, workers: int, threads: int, debug: bool, job_worker: bool) -> None:
    """Serve the app with gunicorn (or the Flask debug server with --debug), and its job worker."""

    metrics_dir = _metrics_dir()  # before anything imports prometheus_client; the job worker inherits it
    # The app is built in the server's main process too, once the directory is set (so not by
    # @with_appcontext, which would build it first): a bad configuration fails before any worker starts,
    # and the workers it forks find every module imported (a worker answers within a second of booting).
    # Each worker still builds its own app (vehicle_enforce.wsgi); no database connection is opened here.
    create_app()
    background = start_embedded_worker() if job_worker else None
    try:
        _serve(host, port, workers, threads, debug)
    finally:
        if background is not None:
            background.terminate()
            background.wait(timeout=30)
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _metrics_dir() -> str | None:
    """PROMETHEUS_MULTIPROC_DIR for /metrics across gunicorn's workers: the one given (systemd shares
    it with the Celery worker; files of processes that ended are dropped), else a fresh temporary one,
    removed again when serve stops (returned)."""
    given = os.environ.get(metrics.MULTIPROC_ENV)
    if given:
        metrics.prepare_multiprocess_dir(Path(given))
        return None
    made = tempfile.mkdtemp(prefix="vehicle-enforce-metrics-")
    os.environ[metrics.MULTIPROC_ENV] = made
    return made


def _serve(host: str, port: int, workers: int, threads: int, debug: bool) -> None:
    if debug:
        create_app().run(host=host, port=port, debug=True)
        return
    from gunicorn.app.base import BaseApplication

    log_format = (os.environ.get("VE_LOG_FORMAT") or "json").strip().lower()

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 120)
            if log_format == "text":
                self.cfg.set("accesslog", "-")
            else:  # gunicorn's own lines as JSON; the app writes the one line per request
                self.cfg.set("logconfig_dict", logs.gunicorn_logconfig(log_format))

        def load(self) -> Any:
            from vehicle_enforce.wsgi import app  # builds the app in the worker and tunes its GC

            return app

    _Server().run()


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""

    # As the maintenance role, which owns the tables (core/maintenance.py), when one is configured; then the
    # application role (VE_DATABASE_URL's user) gets its grants on what the migrations created.
    migrate.upgrade(maintenance.database_url(), revision)
    # PostgreSQL: this month's and the next months' partitions (the migration made them; months pass).
    for name in partitions.ensure_now():
        click.echo(f"created partition {name}")
    if maintenance.separate():
        app_role = maintenance.app_role()
        with maintenance.connection() as conn:
            for statement in maintenance.grant_statements(app_role, maintenance.owner_role()):
                conn.execute(text(statement))
        click.echo(f"grants of {app_role} renewed")
    click.echo("database is at the latest revision")


@db_group.command("roles")
@click.option("--app-role", default=maintenance.APP_ROLE, show_default=True, help="The role the service connects as.")
@click.option(
    "--maintenance-role",
    default=maintenance.MAINTENANCE_ROLE,
    show_default=True,
    help="The role that owns the tables (migrations, partitions, retention).",
)
@click.option("--database", help="Database to grant on (default: the one VE_DATABASE_URL names).")
@click.option("--apply", "admin_url", metavar="ADMIN_URL", help="Run the statements as this superuser URL.")
@with_appcontext
def db_roles(app_role: str, maintenance_role: str, database: str | None, admin_url: str | None) -> None:
    """Print (or apply) the SQL creating the application and maintenance roles (PostgreSQL)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    name = database or url.database
    if not name or (not database and url.get_backend_name() != "postgresql"):
        raise click.UsageError("roles are PostgreSQL's: give --database, or set VE_DATABASE_URL to PostgreSQL")
    try:
        statements = maintenance.role_statements(name, app_role, maintenance_role)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not admin_url:
        click.echo(f"-- vehicle-enforce db roles: run as a superuser connected to {name} (psql -1 -f ...)")
        for statement in statements:
            click.echo(statement + ";")
        return
    engine = create_engine(make_url(config.normalise_database_url(admin_url)).set(database=name))
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    click.echo(f"roles {app_role} (application) and {maintenance_role} (owner, maintenance) set up on {name}")


@db_group.command("downgrade")
@click.option("--revision", required=True)
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. base)."""

    migrate.downgrade(current_app.config["SQLALCHEMY_DATABASE_URI"], revision)


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Fail if the models differ from the migrated schema."""

    migrate.check(current_app.config["SQLALCHEMY_DATABASE_URI"])
    click.echo("models and migrations agree")


def import_group() -> click.Group:
    """`vehicle-enforce import ...`: every domain's importer under one group (a new group on each call)."""
    return click.Group(
        "import",
        help="Import files from other systems (vehicle registry, remote sensing, machinery).",
        commands=[import_vehicles, import_remote_sensing, import_nrmm],
    )


#: Every command but `import` (built by `import_group`), in the order they are attached.
COMMANDS: tuple[click.Command, ...] = (
    serve,
    db_group,
    users,
    tokens,
    counties,
    townships,
    stations,
    demo,
    phaseout,
    hotlist_group,
    export_group,
    reports_group,
    worker,
    jobs_command,
    partitions_group,
    retention_group,
    plates,
)


def add_commands(group: click.Group) -> None:
    """Attach every command to `group` (the root command `build_cli` makes)."""
    for command in COMMANDS:
        group.add_command(command)
    group.add_command(import_group())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
