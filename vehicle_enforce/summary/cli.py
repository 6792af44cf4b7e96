"""`vehicle-enforce reports monthly --month 2026-11 --format xlsx|pdf --out FILE`"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.core.spreadsheets import reporting_unit
from vehicle_enforce.summary import figures, render


@click.group("reports")
def reports_group() -> None:
    """Reports the county files (the monthly summary)."""


@reports_group.command("monthly")
@click.option("--month", required=True, help="YYYY-MM (Beijing time)")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf"]), help="default: from --out's suffix")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def monthly(month: str, fmt: str | None, out: Path) -> None:
    """Write the county's monthly summary with its charts."""
    fmt = fmt or out.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "pdf"):
        raise click.BadParameter("give --format xlsx|pdf, or an --out ending in .xlsx or .pdf", param_hint="--format")
    try:
        data = figures.monthly(month)
    except ServiceError as exc:
        raise click.BadParameter(exc.message, param_hint="--month") from None
    body = render.monthly_xlsx(data, reporting_unit()) if fmt == "xlsx" else render.monthly_pdf(data, reporting_unit())
    out.write_bytes(body)
    p = data["passes"]
    click.echo(
        f"{data['title']}: {p['total']} passes, {p['exceed']} exceeding, {data['listings']['listed']} listed, "
        f"{data['penalties']['count']} penalties; written to {out}"
    )
