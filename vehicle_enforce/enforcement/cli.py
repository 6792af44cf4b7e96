"""`vehicle-enforce hotlist purge`"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from vehicle_enforce.core import transaction
from vehicle_enforce.enforcement import hotlist


@click.group("hotlist")
def hotlist_group() -> None:
    """Police hotlist lookups."""


@hotlist_group.command("purge")
@with_appcontext
@transaction.atomic()
def purge() -> None:
    """Delete looked-up plates that were not hits, past the retention period (run daily from cron)."""
    removed = hotlist.purge_misses()
    click.echo(f"purged {removed} non-hit reads")
