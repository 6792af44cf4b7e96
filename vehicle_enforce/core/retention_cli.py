"""`vehicle-enforce retention run [--dry-run]` and `retention restore`: the history's retention (PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import click
from flask.cli import with_appcontext

from vehicle_enforce.core import retention, transaction


@click.group("retention")
def retention_group() -> None:
    """Retention of passes, outbox, hotlist lookups and the audit log: month partitions archived, then dropped."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be archived and dropped; change nothing.")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Apply the retention periods as on this day (UTC midnight) instead of now.",
)
@with_appcontext
def run_command(dry_run: bool, as_of: datetime | None) -> None:
    """Detach, archive (a gzip'd CSV per partition) and drop month partitions past their retention."""
    moment = datetime.combine(as_of.date(), time(), UTC) if as_of else None
    try:
        with transaction.atomic():
            report = retention.run(dry_run=dry_run, as_of=moment)
    except retention.Unsupported as exc:
        raise click.ClickException(str(exc)) from None
    except ValueError as exc:  # a bad VE_RETENTION_DAYS
        raise click.ClickException(str(exc)) from None
    for step in report.steps:
        click.echo(step.describe(dry_run))
    acted = [s for s in report.steps if s.action != "keep" and not s.error]
    if dry_run:
        click.echo(f"dry run: {len(acted)} partition(s) would be archived; nothing changed")
    else:
        click.echo(f"{len(acted)} partition(s) archived to {retention.archive_root()}")
    if report.failed:
        raise click.ClickException(f"{len(report.failed)} partition(s) failed (see above); the next run resumes them")


@retention_group.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--into", required=True, help="Name of the NEW table the archived rows are loaded into.")
@with_appcontext
def restore_command(archive: Path, into: str) -> None:
    """Load an archived partition (checked by its SHA-256) into a new table, to read it again."""
    try:
        loaded = retention.restore(archive, into)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{loaded} rows loaded into {into}")
