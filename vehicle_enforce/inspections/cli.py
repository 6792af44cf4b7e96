"""`vehicle-enforce stations ...`"""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from vehicle_enforce.core import transaction
from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import stations as station_services
from vehicle_enforce.inspections.models import Station, StationKind


@click.group("stations")
def stations() -> None:
    """Roadside, remote-sensing, spot-check, inspection (I) and repair (M) stations."""


@stations.command("create")
@click.option("--code", required=True)
@click.option("--kind", required=True, type=click.Choice([k.value for k in StationKind]))
@click.option("--name", required=True)
@click.option("--township", help="Township name or code")
@click.option("--location")
@click.option("--calibration-valid-until", type=click.DateTime(formats=["%Y-%m-%d"]))
@with_appcontext
def create_station(
    code: str, kind: str, name: str, township: str | None, location: str | None, calibration_valid_until: object
) -> None:
    valid = calibration_valid_until.date() if calibration_valid_until else None  # type: ignore[attr-defined]
    try:
        station = station_services.create_station(
            code=code, kind=kind, name=name, township=township, location=location, calibration_valid_until=valid
        )
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    transaction.commit()
    click.echo(f"created station {station.code} ({station.kind})")


@stations.command("list")
@with_appcontext
def list_stations() -> None:
    for s in db.session.scalars(select(Station).order_by(Station.code)):
        until = s.calibration_valid_until.isoformat() if isinstance(s.calibration_valid_until, date) else "-"
        click.echo(f"{s.code}\t{s.kind}\t{s.name}\tcalibrated until {until}")
