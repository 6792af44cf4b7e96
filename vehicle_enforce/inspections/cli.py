"""`vehicle-enforce stations ...`"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from vehicle_enforce.core import actors, transaction
from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.core.imports import ImportRefused, progress_bar
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import importer
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
@click.option("--county", help="County code or name (when the station has no township)")
@click.option("--location")
@click.option("--calibration-valid-until", type=click.DateTime(formats=["%Y-%m-%d"]))
@with_appcontext
@transaction.atomic()
def create_station(
    code: str,
    kind: str,
    name: str,
    township: str | None,
    county: str | None,
    location: str | None,
    calibration_valid_until: datetime | None,
) -> None:
    valid = calibration_valid_until.date() if calibration_valid_until else None
    try:
        station = station_services.create_station(
            code=code,
            kind=kind,
            name=name,
            township=township,
            county=county,
            location=location,
            calibration_valid_until=valid,
            actor=actors.system("cli:stations create"),
        )
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created station {station.code} ({station.kind})")


@stations.command("list")
@with_appcontext
def list_stations() -> None:
    for s in db.session.scalars(select(Station).order_by(Station.code)):
        until = s.calibration_valid_until.isoformat() if isinstance(s.calibration_valid_until, date) else "-"
        click.echo(f"{s.code}\t{s.kind}\t{s.name}\tcalibrated until {until}")


@stations.command("add-device")
@click.option("--station", required=True)
@click.option("--code", required=True)
@click.option("--model")
@click.option("--calibration-valid-until", type=click.DateTime(formats=["%Y-%m-%d"]))
@with_appcontext
@transaction.atomic()
def add_device(station: str, code: str, model: str | None, calibration_valid_until: datetime | None) -> None:
    """Register a device at a station."""
    valid = calibration_valid_until.date() if calibration_valid_until else None
    try:
        station_services.add_device(
            station=station,
            code=code,
            model=model,
            calibration_valid_until=valid,
            actor=actors.system("cli:stations add-device"),
        )
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"added device {code} at {station}")


@stations.command("calibrate")
@click.option("--station", required=True)
@click.option("--device", help="A device code; without it the station's own calibration is set")
@click.option("--valid-until", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@with_appcontext
@transaction.atomic()
def calibrate(station: str, device: str | None, valid_until: datetime) -> None:
    """Record a calibration: passes measured after its last valid day are invalid."""
    try:
        station_services.set_calibration(
            station=station,
            device=device,
            valid_until=valid_until.date(),
            actor=actors.system("cli:stations calibrate"),
        )
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"calibration of {device or station} valid until {valid_until:%Y-%m-%d}")


@click.command("remote-sensing")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", required=True, type=click.Choice(["hj845-csv", "vendor-b-xlsx", "canonical-jsonl"]))
@click.option("--station", help="Station code for every row (default: the file's site column)")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path), help="Error report (CSV)")
@click.option("--batch-size", default=5000, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--speed-unit", type=click.Choice(["km/h", "m/s"]), help="hj845-csv: unit of the speed column")
@click.option("--encoding", help="hj845-csv: file encoding (default: detect UTF-8 / GBK)")
@with_appcontext
@transaction.atomic()  # the importer checkpoints each batch; this commits the last
def import_remote_sensing(
    file: Path,
    fmt: str,
    station: str | None,
    errors_path: Path | None,
    batch_size: int,
    speed_unit: str | None,
    encoding: str | None,
) -> None:
    """Import a vendor remote-sensing file: each batch judged, matched and committed; rejects reported."""
    options: dict[str, str] = {}
    if speed_unit:
        options["speed_unit"] = speed_unit
    if encoding:
        options["encoding"] = encoding
    if station is not None and station_services.station_by_code(station) is None:
        raise click.ClickException(f"unknown station {station}")
    errors_path = errors_path or file.with_name(file.name + ".errors.csv")
    try:
        with progress_bar(file) as bar:
            counts = importer.import_file(
                file,
                fmt,
                station=station,
                errors_path=errors_path,
                batch_size=batch_size,
                progress=bar.update,
                actor=actors.system("cli:import remote-sensing"),
                **options,
            )
    except ImportRefused as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"read {counts['read']}  stored {counts['stored']}  duplicate {counts['duplicate']}  "
        f"invalid {counts['invalid']}  rejected {counts['rejected']}"
    )
    if counts["rejected"]:
        click.echo(f"rejected rows written to {errors_path}")
    else:
        errors_path.unlink(missing_ok=True)
