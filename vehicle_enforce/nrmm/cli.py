"""`vehicle-enforce import nrmm FILE` (in the `import` group that `vehicle_enforce.cli` builds)."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import with_appcontext

from vehicle_enforce.core import actors, transaction
from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.core.imports import progress_bar
from vehicle_enforce.nrmm import importer


@click.command("nrmm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--errors-out", type=click.Path(dir_okay=False, path_type=Path), help="CSV of rejected rows")
@with_appcontext
@transaction.atomic()
def import_nrmm(file: Path, errors_out: Path | None) -> None:
    """Import a machinery survey spreadsheet (CSV or XLSX), upserting by PIN."""
    try:
        with progress_bar(file) as bar:
            result = importer.import_file(
                file,
                actors.system(f"cli:{getpass.getuser()}"),
                errors_out or file.with_suffix(".errors.csv"),
                progress=bar.update,
            )
    except ServiceError as exc:
        raise click.ClickException(f"{exc.message}: {exc.fields}") from None
    click.echo(f"read {result.read}, created {result.created}, updated {result.updated}, rejected {result.rejected}")
