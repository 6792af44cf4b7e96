"""`vehicle-enforce reports monthly --month 2026-11 --format xlsx|pdf --out FILE`"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from vehicle_enforce.auth.services import county_by_code_or_name
from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.summary import figures, render
from vehicle_enforce.summary.units import unit_of


@click.group("reports")
def reports_group() -> None:
    """Reports the county files (the monthly summary)."""


@reports_group.command("monthly")
@click.option("--month", required=True, help="YYYY-MM (Beijing time)")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf"]), help="default: from --out's suffix")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--county", help="County code or name (default: the whole city)")
@with_appcontext
def monthly(month: str, fmt: str | None, out: Path, county: str | None) -> None:
    """Write the monthly summary (a county's, or the city's) with its charts."""
    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "pdf"):
        raise click.BadParameter("give --format xlsx|pdf, or an --out ending in .xlsx or .pdf", param_hint="--format")
    try:
        where = county_by_code_or_name(county) if county else None
    except ServiceError as exc:
        raise click.BadParameter(exc.message, param_hint="--county") from None
    try:
        data = figures.monthly(month, where)
    except ServiceError as exc:
        raise click.BadParameter(exc.message, param_hint="--month") from None
    unit = unit_of(where)
    body = render.monthly_xlsx(data, unit) if fmt == "xlsx" else render.monthly_pdf(data, unit)
    out.write_bytes(body)
    p = data["passes"]
    click.echo(
        f"{data['title']}: {p['total']} passes, {p['exceed']} exceeding, {data['listings']['listed']} listed, "
        f"{data['penalties']['count']} penalties; written to {out}"
    )
