"""`vehicle-enforce phaseout report --as-of 2019-12-31 --out report.xlsx`"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.phaseout import eligibility, reports
from vehicle_enforce.phaseout import progress as phaseout_progress
from vehicle_enforce.summary.units import unit_for


@click.group("phaseout")
def phaseout() -> None:
    """China III diesel-truck and lean-burn gas vehicle phase-out (plan item 14)."""


@phaseout.command("report")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Day counted to (default today)")
@click.option("--period", help="Task period code (default: the one running on --as-of)")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help=".xlsx, .csv, .png or .svg")
@with_appcontext
def report(as_of: datetime | None, period: str | None, out: Path) -> None:
    """Write the progress report per township and for the county."""
    day = as_of.date() if as_of else eligibility.today_local()
    suffix = out.suffix.lower()
    if suffix not in {".xlsx", ".csv", ".png", ".svg"}:
        raise click.BadParameter("the file must end in .xlsx, .csv, .png or .svg", param_hint="--out")
    try:
        progress, cumulative = phaseout_progress.cumulative_by_township(day, period_code=period)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    if suffix == ".xlsx":
        body = reports.progress_xlsx(progress, unit=unit_for(None))  # the CLI reports for the city level
    elif suffix == ".csv":
        body = reports.progress_csv(progress)
    else:
        body = reports.progress_chart(progress, cumulative, suffix[1:])
    out.write_bytes(body)
    county = progress["county"]
    pct = "—" if county["percent"] is None else f"{county['percent']:g}%"
    click.echo(
        f"phase-out as of {progress['as_of']}: {county['done']}/{county['quota']} ({pct}); "
        f"next milestone {progress['next_milestone']['due']}; written to {out}"
    )
