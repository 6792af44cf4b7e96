"""The `vehicle-enforce` command: a Flask CLI that loads the app, with one group per domain."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from vehicle_enforce import create_app
from vehicle_enforce.auth.cli import tokens, townships, users
from vehicle_enforce.core import migrate
from vehicle_enforce.core.jobs_cli import jobs_command, start_embedded_worker, worker
from vehicle_enforce.demo import demo
from vehicle_enforce.enforcement.cli import hotlist_group
from vehicle_enforce.exports.cli import export_group
from vehicle_enforce.inspections.cli import import_remote_sensing, stations
from vehicle_enforce.nrmm.cli import import_nrmm
from vehicle_enforce.phaseout.cli import phaseout
from vehicle_enforce.platereading_cli import plates
from vehicle_enforce.vehicles.cli import import_group


def _create_app(*_args: Any, **_kwargs: Any) -> Any:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """vehicle-enforce: 机动车排放执法平台."""


@main.command("serve")
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

    background = start_embedded_worker() if job_worker else None
    try:
        _serve(host, port, workers, threads, debug)
    finally:
        if background is not None:
            background.terminate()
            background.wait(timeout=30)


def _serve(host: str, port: int, workers: int, threads: int, debug: bool) -> None:
    if debug:
        create_app().run(host=host, port=port, debug=True)
        return
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 120)

        def load(self) -> Any:
            from vehicle_enforce.wsgi import app  # builds the app in the worker and tunes its GC

            return app

    _Server().run()


@main.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""

    migrate.upgrade(current_app.config["SQLALCHEMY_DATABASE_URI"], revision)
    click.echo("database is at the latest revision")


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


def _register_domain_commands() -> None:
    for group in (users, tokens, townships, stations, demo, import_group, phaseout, hotlist_group, export_group):
        main.add_command(group)
    main.add_command(worker)
    main.add_command(jobs_command)
    main.add_command(plates)
    import_group.add_command(import_remote_sensing)
    import_group.add_command(import_nrmm)


_register_domain_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
