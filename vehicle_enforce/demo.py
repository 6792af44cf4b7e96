"""`vehicle-enforce demo load`: a coherent demo city (Jincheng 晋E) for newcomers: 泽州县 in full and a
second county, 高平市, with one township, one station and its own accounts, so the demo shows county
isolation (a 高平市 officer sees none of 泽州县's cases or machinery; the registry and the blacklist are
the city's, so both see every truck).

Stations, owners, a few thousand vehicles of every plate colour and emission standard, and one login
and one API token per department: 泽州县's staff (county level), a city-level environment officer and
admin, and 高平市's environment officer and township. Loading twice changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from vehicle_enforce.auth import services as auth_services
from vehicle_enforce.auth.models import Department, Township, User
from vehicle_enforce.auth.schemas import CountyIn, TokenIn, TownshipIn, UserIn
from vehicle_enforce.blacklist import services as blacklist_services
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.blacklist.schemas import ManualListing
from vehicle_enforce.core import actors, transaction
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import stations as station_services
from vehicle_enforce.inspections.demo import load as inspections
from vehicle_enforce.nrmm.demo import load as nrmm
from vehicle_enforce.phaseout.demo import load as phaseout
from vehicle_enforce.vehicles.demo import load as vehicles
from vehicle_enforce.vehicles.models import Owner, Vehicle
from vehicle_enforce.vehicles.registry import plate_key

SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
DIGITS = "0123456789"
DEMO_PASSWORD = "demo-pass-2019"  # noqa: S105  (published demo credential, never used in production)

ZEZHOU, GAOPING = "140525", "140581"
#: The second county of the demo: (code, name), its township (code, name).
SECOND_COUNTY = ((GAOPING, "高平市"), ("mishan", "米山镇"))

STATIONS = [
    ("JC-RS-01", "remote_sensing", "泽州县巴公镇遥感监测点", "巴公镇"),
    ("JC-RS-02", "remote_sensing", "泽州县高都镇遥感监测点", "高都镇"),
    ("JC-RD-01", "roadside", "泽州县柴油货车联合执法站", "南村镇"),
    ("JC-SC-01", "spot_check", "泽州县入户抽测组", "金村镇"),
    ("JC-I-01", "inspection", "晋城市机动车检测站（I站）", "金村镇"),
    ("JC-M-01", "repair", "泽州县一类维修企业（M站）", "南村镇"),
    ("GP-RS-01", "remote_sensing", "高平市米山镇遥感监测点", "米山镇"),
]

# (username, department, display name, township, station, county code; None: the city level)
USERS = [
    ("huanbao", Department.environment, "泽州县环境局执法员", None, None, ZEZHOU),
    ("jiaojing", Department.police, "泽州县交警检查站民警", None, None, ZEZHOU),
    ("jiaotong", Department.transport, "泽州县交通局运管员", None, None, ZEZHOU),
    ("zhujian", Department.housing, "泽州县住建局工地检查员", None, None, ZEZHOU),
    ("bagong", Department.township, "巴公镇政府", "巴公镇", None, ZEZHOU),
    ("zhandian", Department.station, "遥感站操作员", None, "JC-RS-01", ZEZHOU),
    ("luce", Department.station, "路检站操作员", None, "JC-RD-01", ZEZHOU),
    ("shihuanbao", Department.environment, "晋城市生态环境局（市级）", None, None, None),
    ("gaoping", Department.environment, "高平市环境局执法员", None, None, GAOPING),
    ("mishan", Department.township, "米山镇政府", "米山镇", None, GAOPING),
    ("admin", Department.admin, "系统管理员（市级）", None, None, None),
]

TOKENS = [
    ("checkpoint-gateway", Department.police, None),
    ("environment-platform", Department.environment, None),
    ("transport-system", Department.transport, None),
    ("housing-system", Department.housing, None),
    ("remote-sensing-JC-RS-01", Department.station, "JC-RS-01"),
    ("roadside-JC-RD-01", Department.station, "JC-RD-01"),
    ("inspection-JC-I-01", Department.station, "JC-I-01"),
    ("repair-JC-M-01", Department.station, "JC-M-01"),
]

# (vehicle_type, fuel, colour, share): the county's mix, trucks first.
MIX = [
    ("heavy_truck", "diesel", "yellow", 0.30),
    ("medium_truck", "diesel", "yellow", 0.12),
    ("tractor", "diesel", "yellow", 0.06),
    ("trailer", "other", "yellow", 0.05),
    ("light_truck", "diesel", "blue", 0.12),
    ("bus", "diesel", "yellow", 0.03),
    ("coach", "diesel", "yellow", 0.01),
    ("heavy_truck", "natural_gas", "yellow", 0.05),
    ("car", "gasoline", "blue", 0.16),
    ("car", "electric", "green", 0.05),
    ("bus", "electric", "yellow_green", 0.02),
    ("special", "diesel", "white", 0.02),
    ("car", "gasoline", "black", 0.01),
]


def _plate(rng: random.Random, vehicle_type: str, colour: str) -> str:
    if colour == "green":
        return "晋E" + rng.choice("DF") + rng.choice(SERIAL) + "".join(rng.choices(DIGITS, k=4))
    if colour == "yellow_green":
        return "晋E" + "".join(rng.choices(DIGITS, k=5)) + rng.choice("DF")
    if colour == "white":
        return "晋E" + "".join(rng.choices(DIGITS, k=4)) + "警"
    if colour == "black":
        return "粤Z" + "".join(rng.choices(DIGITS, k=4)) + "港"
    body = "晋E" + "".join(rng.choices(SERIAL, k=5))
    if vehicle_type == "trailer":
        return body[:-1] + "挂"
    if vehicle_type == "coach":
        return body[:-1] + "学"
    return body


def _standard(rng: random.Random, registered: date, fuel: str) -> int | None:
    if fuel == "electric":
        return None
    if registered < date(2008, 7, 1):
        return rng.choice([1, 2])
    if registered < date(2013, 7, 1):
        return 3
    if registered < date(2017, 7, 1):
        return 4
    if registered < date(2021, 7, 1):
        return 5
    return 6


def load_demo(vehicles: int = 3000, seed: int = 2019) -> dict[str, str] | None:
    """Load the demo set once; return the API tokens created (None if it was already loaded)."""
    if db.session.scalar(select(User).where(User.username == "admin")) is not None:
        return None
    rng = random.Random(seed)
    _second_county()
    townships = db.session.scalars(select(Township).order_by(Township.id)).all()
    for code, kind, name, township in STATIONS:
        station_services.create_station(
            code=code,
            kind=kind,
            name=name,
            township=township,
            calibration_valid_until=date(2030, 12, 31) if kind == "remote_sensing" else None,
            actor=actors.system("cli:demo"),
        )
    for username, dept, display, user_township, station, county in USERS:
        auth_services.create_user(
            UserIn(
                username=username,
                password=DEMO_PASSWORD,
                department=Department(dept),
                display_name=display,
                township=user_township,
                station=station,
                county=county,
            ),
            actor=actors.system("cli:demo"),
        )
    secrets: dict[str, str] = {}
    for name, dept, station in TOKENS:
        secrets[name] = auth_services.create_token(
            TokenIn(name=name, department=Department(dept), station=station), actor=actors.system("cli:demo")
        ).secret

    owners: list[Owner] = []
    for i in range(60):
        owners.append(
            Owner(
                kind="enterprise",
                name=f"泽州县{rng.choice(['鑫达', '宏远', '晋丰', '顺通', '兴旺', '长运'])}物流有限公司{i + 1}",
                credit_code=f"91140525MA{i:07d}X",
                phone=f"0356-{rng.randint(1000000, 9999999)}",
                township_id=rng.choice(townships).id,
            )
        )
    for i in range(300):
        owners.append(Owner(kind="person", name=f"车主{i + 1:04d}", township_id=rng.choice(townships).id))
    db.session.add_all(owners)
    db.session.flush()

    seen: set[tuple[str, str]] = set()
    weights = [share for *_, share in MIX]
    rows: list[dict[str, Any]] = []
    while len(rows) < vehicles:
        vehicle_type, fuel, colour, _ = rng.choices(MIX, weights=weights)[0]
        plate = _plate(rng, vehicle_type, colour)
        if (plate, colour) in seen:
            continue
        seen.add((plate, colour))
        registered = date(2003, 1, 1) + timedelta(days=rng.randint(0, 365 * 21))
        standard = _standard(rng, registered, fuel)
        known = rng.random() > 0.15
        owner = (
            rng.choice(owners[:60])
            if vehicle_type.endswith("truck") or vehicle_type == "tractor"
            else rng.choice(owners)
        )
        rows.append(
            {
                "plate": plate,
                "plate_color": colour,
                "plate_key": plate_key(plate),
                "vin": "LZZ" + "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", k=14)),
                "vehicle_type": vehicle_type,
                "fuel": fuel,
                "emission_standard": standard,
                "emission_standard_inferred": standard is not None and not known,
                "registration_date": registered,
                "use": "operating" if owner.kind == "enterprise" else "non_operating",
                "lean_burn": fuel == "natural_gas" and rng.random() < 0.3,
                "gas_converted": fuel == "natural_gas" and rng.random() < 0.2,
                "owner_id": owner.id,
                "township_id": owner.township_id,
                "status": "active",
            }
        )
    db.session.execute(Vehicle.__table__.insert(), rows)
    _extend_demo(rng)
    _second_county_case()
    return secrets


def _second_county() -> None:
    """高平市 with one township (the migration made 泽州县, the county of the seeded townships)."""
    (code, name), (township_code, township_name) = SECOND_COUNTY
    if db.session.scalar(select(Township.id).where(Township.code == township_code)) is not None:
        return
    actor = actors.system("cli:demo")
    auth_services.create_county(CountyIn(code=code, name=name), actor=actor)
    auth_services.create_township(TownshipIn(code=township_code, name=township_name, county=code), actor=actor)


def _second_county_case() -> None:
    """高平市's officer lists one of 高平市's trucks by hand: a case of 高平市's that 泽州县 does not see,
    while the listing is the city's (泽州县's police are stopped by it too). A truck the demo's own
    measurements have listed already is passed over (which trucks those are depends on the demo's size)."""
    listed = select(BlacklistEntry.vehicle_id).where(BlacklistEntry.status == "active")
    truck = db.session.scalar(
        select(Vehicle)
        .join(Township, Township.id == Vehicle.township_id)
        .where(Township.code == SECOND_COUNTY[1][0], Vehicle.vehicle_type == "heavy_truck", Vehicle.fuel == "diesel")
        .where(Vehicle.id.not_in(listed))
        .order_by(Vehicle.id)
        .limit(1)
    )
    officer = db.session.scalar(select(User).where(User.username == "gaoping"))
    if truck is None or officer is None:
        return
    blacklist_services.list_manually(
        ManualListing(vehicle_id=truck.id, reason="高平市环境局执法人员现场发现冒黑烟，经核实列入"),
        actor=auth_services.user_actor(officer),
    )


def _extend_demo(rng: random.Random) -> None:
    """Each domain adds its own demo records (passes, cases, machines...) after the registry exists."""
    for loader in _domain_loaders():
        loader(rng)
        db.session.flush()


def _domain_loaders() -> list[Callable[[random.Random], None]]:
    # One line per domain that has demo data: `from vehicle_enforce.<domain>.demo import load as <domain>`.

    return [vehicles, inspections, phaseout, nrmm]


@click.group("demo")
def demo() -> None:
    """Demo data."""


@demo.command("load")
@click.option("--vehicles", default=3000, show_default=True)
@with_appcontext
def load_command(vehicles: int) -> None:
    """Load the demo county once and print the logins."""
    with transaction.atomic():
        secrets = load_demo(vehicles)
    if secrets is None:
        click.echo("demo data already loaded")
    else:
        path = Path(current_app.instance_path) / "demo_tokens.txt"
        path.write_text("".join(f"{name}\t{secret}\n" for name, secret in secrets.items()), encoding="utf-8")
        path.chmod(0o600)
        click.echo(f"demo data loaded; API tokens written to {path}")
    click.echo(f"demo logins (password for all: {DEMO_PASSWORD}):")
    for username, dept, display, *_ in USERS:
        click.echo(f"  {username:10s} {dept.value:12s} {display}")
