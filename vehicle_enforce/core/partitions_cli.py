"""`vehicle-enforce partitions ensure|list`: the history tables' month partitions (PostgreSQL)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from vehicle_enforce.core import partitions
from vehicle_enforce.core.timeutil import format_local
from vehicle_enforce.extensions import db


@click.group("partitions")
def partitions_group() -> None:
    """Month partitions of passes, outbox, audit log and hotlist lookups (PostgreSQL; SQLite has none)."""


@partitions_group.command("ensure")
@click.option(
    "--months-ahead",
    default=partitions.DEFAULT_MONTHS_AHEAD,
    show_default=True,
    type=click.IntRange(0, 120),
    help="Months after the current one to create.",
)
@with_appcontext
def ensure_command(months_ahead: int) -> None:
    """Create the current and next months' partitions and the DEFAULT ones (idempotent; run daily)."""
    if not partitions.supported_engine(db.engine):
        click.echo("SQLite: tables are not partitioned, nothing to do")
        return
    created = partitions.ensure_now(months_ahead)
    for name in created:
        click.echo(f"created {name}")
    click.echo(f"{len(created)} partition(s) created")


@partitions_group.command("list")
@click.argument("table", type=click.Choice(sorted(partitions.TABLES)))
@with_appcontext
def list_command(table: str) -> None:
    """List TABLE's partitions with their month bounds (Asia/Shanghai)."""
    with db.engine.connect() as connection:
        found = partitions.list_partitions(connection, table)
    for p in found:
        if p.is_default:
            click.echo(f"{p.name}\tDEFAULT")
        else:
            assert p.start is not None and p.end is not None  # a month partition has bounds
            state = "" if p.attached else "\tdetached"
            click.echo(f"{p.name}\t{format_local(p.start)}\t{format_local(p.end)}{state}")
