"""`vehicle-enforce import vehicles FILE`: load the vehicle administration's export.

`vehicle_enforce.cli.import_group` puts it beside the other domains' importers (`import remote-sensing`, ...).
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import with_appcontext

from vehicle_enforce.core import actors, transaction
from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.core.imports import progress_bar
from vehicle_enforce.vehicles import importer


@click.command("vehicles")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON: {"columns": {"plate": "HPHM", ...}, "color_scheme": "vendor_b"}; default: the Chinese export headers',
)
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "gbk"]), default="auto", show_default=True)
@click.option(
    "--errors-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Error report for rejected rows (CSV); default: FILE's name + .errors.csv",
)
@click.option("--dry-run", is_flag=True, help="Check every row and write the error report, but store nothing.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@with_appcontext
@transaction.atomic()
def import_vehicles(
    file: Path, mapping: Path | None, encoding: str, errors_out: Path | None, dry_run: bool, progress: bool | None
) -> None:
    """Import vehicles from a CSV (UTF-8 or GBK) or XLSX export; re-importing updates, never duplicates."""
    actor = actors.system(f"cli:{getpass.getuser()}")
    with progress_bar(file, progress) as bar:
        try:
            report = importer.import_vehicles(
                file, mapping=mapping, encoding=encoding, errors_out=errors_out, progress=bar.update, actor=actor
            )
        except ServiceError as exc:
            raise click.ClickException(exc.message) from None  # @atomic rolls back
    if dry_run:
        transaction.rollback()
    verb = "checked (dry run, nothing stored)" if dry_run else "imported"
    click.echo(
        f"{verb} {report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected} rejected"
    )
    if report.errors_path is not None:
        click.echo(f"rejected rows (row, column, problem) are listed in {report.errors_path}")
