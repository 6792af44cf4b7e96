"""`vehicle-enforce export run|files` — for cron or a systemd timer (Celery beat runs the same)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from vehicle_enforce.core import transaction
from vehicle_enforce.core.timeutil import SHANGHAI
from vehicle_enforce.exports import sender, services


def _local_start(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=SHANGHAI).astimezone(UTC)


@click.group("export")
def export_group() -> None:
    """Exports to the provincial and national platforms."""


@export_group.command("run")
@click.option("--target", help="provincial, national... (default: every configured target)")
@click.option("--dry-run", is_flag=True, help="Count what would be sent; send nothing.")
@click.option("--since", type=click.DateTime(), help="Replay: records that occurred from (local time).")
@click.option("--until", type=click.DateTime(), help="Replay: records that occurred before (local time).")
@click.option("--retry-failed", is_flag=True, help="Also resend records that failed every retry.")
@with_appcontext
@transaction.atomic()  # the sender checkpoints each claim and batch; this commits the rest
def run(target: str | None, dry_run: bool, since: datetime | None, until: datetime | None, retry_failed: bool) -> None:
    """Send one pass of queued records; prints a JSON summary per target."""
    started = datetime.now(UTC)
    summaries = sender.run(
        target, dry_run=dry_run, since=_local_start(since), until=_local_start(until), retry_failed=retry_failed
    )
    for summary in summaries:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
    click.echo(f"export run finished in {(datetime.now(UTC) - started).total_seconds():.1f}s")


@export_group.command("files")
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--target", default="provincial", show_default=True)
@click.option(
    "--format",
    "version",
    type=click.Choice(["1", "2"]),
    help="Format version (default: the target's `format` in VE_EXPORT_TARGETS, else 1).",
)
@with_appcontext
@transaction.atomic()
def files(day: datetime, out_dir: Path, target: str, version: str | None) -> None:
    """Write the day's records as CSV and XLSX, one pair per record type."""
    chosen = int(version) if version else None
    written = services.daily_files(date(day.year, day.month, day.day), out_dir, target, chosen)
    for path in written:
        click.echo(str(path))
