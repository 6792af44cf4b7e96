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
from vehicle_enforce.auth.principal import api_access
from vehicle_enforce.core import transaction
from vehicle_enforce.core.errors import BadRequest
from vehicle_enforce.core.openapi import doc
from vehicle_enforce.core.pagination import page_json
from vehicle_enforce.core.schemas import parse_body, parse_query
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
@doc("Register a vehicle, or update the one with the same plate and colour", body=VehicleIn, status=201)
def register_vehicle() -> Any:
    data = parse_body(VehicleIn)
    result = services.register_vehicle(data)
    body = vehicle_json(result.vehicle)
    transaction.commit()
    return jsonify({**body, "created": result.created, "changed": sorted(result.changes)}), (
        201 if result.created else 200
    )


@bp.get("/vehicles")
@api_access(*READERS)
@doc("Find vehicles by plate (and colour), VIN, owner, township or status", query=VehicleQuery)
def list_vehicles() -> Any:
    query = parse_query(VehicleQuery)
    rows, cursor = services.list_vehicles(query)
    return jsonify(page_json(rows, cursor, vehicle_json))


@bp.get("/vehicles/<int:vehicle_id>")
@api_access(*READERS)
@doc("A vehicle with its owner and its history (inspections, blacklist, cases) from the other domains")
def get_vehicle(vehicle_id: int) -> Any:
    vehicle = services.get_vehicle(vehicle_id)
    return jsonify({**vehicle_json(vehicle), "history": services.vehicle_history(vehicle.id)})


@bp.post("/vehicles/match")
@api_access(*MATCHERS)
@doc("Match a plate read to registered vehicles: exact, probable, ambiguous or none", body=MatchIn, response=MatchOut)
def match_vehicle() -> Any:
    data = parse_body(MatchIn)
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
@doc(
    "Read every licence plate in a camera photo (multipart field `image`); ?match=1 also matches each",
    query=PlateReadQuery,
    multipart=PHOTO_FORM,
    response=PlateReadOut,
    tags=["plates"],
)
def read_plates() -> Any:
    query = parse_query(PlateReadQuery)
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
@doc("Find owners by unified social credit code or name", query=OwnerQuery)
def list_owners() -> Any:
    rows, cursor = services.list_owners(parse_query(OwnerQuery))
    return jsonify(page_json(rows, cursor, owner_json))


@bp.get("/owners/<int:owner_id>")
@api_access(*OWNER_READERS)
@doc("An owner with its fleet counts (list the vehicles with GET /vehicles?owner_id=)")
def get_owner(owner_id: int) -> Any:
    owner = services.get_owner(owner_id)
    return jsonify({**owner_json(owner), "fleet": services.fleet_summary(owner.id)})
