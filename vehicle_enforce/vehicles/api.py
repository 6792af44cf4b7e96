"""JSON API of the vehicle registry: register (upsert), look up, match plate reads, owners.

Who: the environment and transport departments register vehicles; they, the police, stations (for
lookups) and townships (their own township's vehicles only) read them. Plate matching and reading
plates from photos are for the departments and stations that link reads to vehicles, not townships
(matching searches the whole county).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from vehicle_enforce.auth import privacy
from vehicle_enforce.auth.models import Department
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.core.errors import BadRequest
from vehicle_enforce.core.openapi import Out, Page, json_body, operation, query_args
from vehicle_enforce.core.pagination import page_json
from vehicle_enforce.vehicles import matching, plate_reading, services
from vehicle_enforce.vehicles.models import Owner, Vehicle
from vehicle_enforce.vehicles.schemas import (
    MatchIn,
    MatchOut,
    OwnerQuery,
    PlateReadOut,
    PlateReadQuery,
    VehicleIn,
    VehicleQuery,
)

bp = Blueprint("vehicles_api", __name__, url_prefix="/api/v1")

WRITERS = (Department.environment, Department.transport)
READERS = (Department.environment, Department.transport, Department.police, Department.township, Department.station)
MATCHERS = (Department.environment, Department.transport, Department.police, Department.station)
OWNER_READERS = (Department.environment, Department.transport, Department.police)


def owner_json(owner: Owner) -> dict[str, Any]:
    """An owner; credit code, phone and address are masked for roles that do not need them (PIPL)."""
    return privacy.mask_fields(
        {
            "id": owner.id,
            "kind": owner.kind,
            "name": owner.name,
            "credit_code": owner.credit_code,
            "phone": owner.phone,
            "address": owner.address,
        }
    )


class VehicleOut(Out):
    """A registered vehicle (owner's personal data masked for stations and townships)."""

    id: int
    plate: str
    plate_color: str
    vin: str | None
    vehicle_type: str | None
    fuel: str | None
    emission_standard: int | None
    registration_date: str | None
    status: str
    owner: dict[str, Any] | None
    township: dict[str, Any] | None
    updated_at: str | None


class VehiclePage(Out):
    results: list[VehicleOut]
    next_cursor: str | None


def vehicle_json(vehicle: Vehicle) -> dict[str, Any]:
    return {
        "id": vehicle.id,
        "plate": vehicle.plate,
        "plate_color": vehicle.plate_color,
        "vin": vehicle.vin,
        "vin_warning": vehicle.vin_warning,
        "vehicle_type": vehicle.vehicle_type,
        "fuel": vehicle.fuel,
        "emission_standard": vehicle.emission_standard,
        "emission_standard_inferred": vehicle.emission_standard_inferred,
        "registration_date": vehicle.registration_date.isoformat() if vehicle.registration_date else None,
        "use": vehicle.use,
        "lean_burn": vehicle.lean_burn,
        "gas_converted": vehicle.gas_converted,
        "status": vehicle.status,
        "owner": owner_json(vehicle.owner) if vehicle.owner else None,
        "township": {"code": vehicle.township.code, "name": vehicle.township.name} if vehicle.township else None,
        "updated_at": vehicle.updated_at.isoformat() if vehicle.updated_at else None,
    }


@bp.post("/vehicles")
@api_access(*WRITERS)
@operation(
    "登记车辆（同号牌同颜色则更新） / Register a vehicle, or update the one with the same plate and colour",
    json=VehicleIn,
    resp={201: VehicleOut, 200: VehicleOut},
)
def register_vehicle() -> Any:
    data = json_body(VehicleIn)
    result = services.register_vehicle(data)
    body = vehicle_json(result.vehicle)
    return jsonify({**body, "created": result.created, "changed": sorted(result.changes)}), (
        201 if result.created else 200
    )


@bp.get("/vehicles")
@api_access(*READERS)
@operation(
    "按号牌、VIN、车主、乡镇或状态查找车辆 / Find vehicles by plate (and colour), VIN, owner, township or status",
    query=VehicleQuery,
    resp={200: VehiclePage},
)
def list_vehicles() -> Any:
    query = query_args(VehicleQuery)
    rows, cursor = services.list_vehicles(query)
    return jsonify(page_json(rows, cursor, vehicle_json))


@bp.get("/vehicles/<int:vehicle_id>")
@api_access(*READERS)
@operation(
    "车辆及其车主与各领域历史 / "
    "A vehicle with its owner and its history (inspections, blacklist, cases) from the other domains",
    resp={200: VehicleOut},
)
def get_vehicle(vehicle_id: int) -> Any:
    principal = principal_or_401()
    vehicle = services.get_vehicle(vehicle_id)
    return jsonify({**vehicle_json(vehicle), "history": services.vehicle_history(vehicle.id, principal)})


@bp.post("/vehicles/match")
@api_access(*MATCHERS)
@operation(
    "将号牌识别结果匹配到登记车辆 / Match a plate read to registered vehicles: exact, probable, ambiguous or none",
    json=MatchIn,
    resp={200: MatchOut},
)
def match_vehicle() -> Any:
    data = json_body(MatchIn)
    return jsonify(matching.match_json(services.match(data.plate, data.plate_color)))


PHOTO_FORM = {
    "type": "object",
    "required": ["image"],
    "properties": {"image": {"type": "string", "format": "binary", "description": "JPEG, PNG, BMP or WebP"}},
}
#: Room for the multipart boundaries and headers around the photo when refusing by Content-Length.
MULTIPART_SLACK = 64 * 1024


@bp.post("/plates/read")
@api_access(*MATCHERS)
@operation(
    "识别照片中的全部号牌（可选同时匹配车辆） / "
    "Read every licence plate in a camera photo (multipart field `image`); ?match=1 also matches each",
    query=PlateReadQuery,
    multipart=PHOTO_FORM,
    resp={200: PlateReadOut},
)
def read_plates() -> Any:
    query = query_args(PlateReadQuery)
    limit = plate_reading.max_bytes()
    if (request.content_length or 0) > limit + MULTIPART_SLACK:  # refuse before parsing the body
        raise plate_reading.too_large(limit)
    if request.mimetype != "multipart/form-data":
        raise BadRequest("send the photo as multipart/form-data field 'image'", {"image": "field required"})
    upload = request.files.get("image")
    content = upload.read(limit + 1) if upload is not None else None
    result = plate_reading.read_photo(content, match=query.match)
    return jsonify(plate_reading.photo_read_json(result))


@bp.get("/owners")
@api_access(*OWNER_READERS)
@operation(
    "按统一社会信用代码或名称查找车主 / Find owners by unified social credit code or name",
    query=OwnerQuery,
    resp={200: Page},
)
def list_owners() -> Any:
    rows, cursor = services.list_owners(query_args(OwnerQuery))
    return jsonify(page_json(rows, cursor, owner_json))


@bp.get("/owners/<int:owner_id>")
@api_access(*OWNER_READERS)
@operation(
    "车主及其车队数量 / An owner with its fleet counts (list the vehicles with GET /vehicles?owner_id=)",
    resp={200: Out},
)
def get_owner(owner_id: int) -> Any:
    owner = services.get_owner(owner_id)
    return jsonify({**owner_json(owner), "fleet": services.fleet_summary(owner.id)})
