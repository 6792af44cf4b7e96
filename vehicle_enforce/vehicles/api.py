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
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import BadRequest
from vehicle_enforce.core.openapi import json_body, operation, query_args
from vehicle_enforce.core.pagination import page_json
from vehicle_enforce.vehicles import matching, plate_reading, services
from vehicle_enforce.vehicles.models import Owner, Vehicle
from vehicle_enforce.vehicles.schemas import (
    MatchIn,
    MatchOut,
    OwnerDetailOut,
    OwnerOut,
    OwnerPage,
    OwnerQuery,
    PlateReadOut,
    PlateReadQuery,
    RegistrationOut,
    VehicleDetailOut,
    VehicleIn,
    VehicleOut,
    VehiclePage,
    VehicleQuery,
)

bp = Blueprint("vehicles_api", __name__, url_prefix="/api/v1")

WRITERS = (Department.environment, Department.transport)
READERS = (Department.environment, Department.transport, Department.police, Department.township, Department.station)
MATCHERS = (Department.environment, Department.transport, Department.police, Department.station)
OWNER_READERS = (Department.environment, Department.transport, Department.police)


def owner_body(owner: Owner, viewer: Actor) -> dict[str, Any]:
    """An owner as `viewer` may see it: personal fields masked unless the role needs them (PIPL)."""
    return privacy.mask_fields(OwnerOut.model_validate(owner).model_dump(mode="json"), principal=viewer)


def vehicle_body(vehicle: Vehicle, viewer: Actor) -> dict[str, Any]:
    body = VehicleOut.model_validate(vehicle).model_dump(mode="json")
    if vehicle.owner is not None:
        body["owner"] = owner_body(vehicle.owner, viewer)
    return body


_OWNER_EXAMPLE = {
    "id": 31,
    "kind": "enterprise",
    "name": "泽州县晋通运输有限公司",
    "credit_code": "91140525MA0K3X7Q2B",
    "phone": "0356-3021888",
    "address": "山西省晋城市泽州县巴公镇工业园区 8 号",
}
_VEHICLE_EXAMPLE = {
    "id": 1024,
    "plate": "晋E12345",
    "plate_color": "yellow",
    "vin": "LZZ1CLVB7JD123456",
    "vin_warning": None,
    "vehicle_type": "heavy_truck",
    "fuel": "diesel",
    "emission_standard": 5,
    "emission_standard_inferred": False,
    "registration_date": "2018-06-15",
    "use": "operating",
    "lean_burn": False,
    "gas_converted": False,
    "status": "active",
    "owner": _OWNER_EXAMPLE,
    "township": {"code": "140525101", "name": "巴公镇"},
    "updated_at": "2026-12-07T02:15:30.123456+00:00",
}
_VEHICLE_REQUEST = {
    "plate": "晋E12345",
    "plate_color": "yellow",
    "vin": "LZZ1CLVB7JD123456",
    "vehicle_type": "heavy_truck",
    "fuel": "diesel",
    "emission_standard": 5,
    "registration_date": "2018-06-15",
    "use": "operating",
    "owner": {
        "kind": "enterprise",
        "name": "泽州县晋通运输有限公司",
        "credit_code": "91140525MA0K3X7Q2B",
        "phone": "0356-3021888",
        "address": "山西省晋城市泽州县巴公镇工业园区 8 号",
    },
    "township": "巴公镇",
}
_MATCH_EXAMPLE = {
    "decision": "probable",
    "read": "晋E1234S",
    "vehicle_id": 1024,
    "candidates": [{"vehicle_id": 1024, "plate": "晋E12345", "plate_color": "yellow", "score": 0.912}],
}


@bp.post("/vehicles")
@api_access(*WRITERS)
@operation(
    "登记车辆（同号牌同颜色则更新） / Register a vehicle, or update the one with the same plate and colour",
    json=VehicleIn,
    resp={201: RegistrationOut, 200: RegistrationOut},
    examples={"request": _VEHICLE_REQUEST, "response": {**_VEHICLE_EXAMPLE, "created": True, "changed": []}},
)
def register_vehicle() -> Any:
    principal = principal_or_401()
    data = json_body(VehicleIn)
    result = services.register_vehicle(data, actor=principal)
    body = vehicle_body(result.vehicle, principal)
    return jsonify({**body, "created": result.created, "changed": sorted(result.changes)}), (
        201 if result.created else 200
    )


@bp.get("/vehicles")
@api_access(*READERS)
@operation(
    "按号牌、VIN、车主、乡镇或状态查找车辆 / Find vehicles by plate (and colour), VIN, owner, township or status",
    query=VehicleQuery,
    resp={200: VehiclePage},
    examples={"response": {"results": [_VEHICLE_EXAMPLE], "next_cursor": None}},
)
def list_vehicles() -> Any:
    principal = principal_or_401()
    query = query_args(VehicleQuery)
    rows, cursor = services.list_vehicles(query, actor=principal)
    return jsonify(page_json(rows, cursor, lambda v: vehicle_body(v, principal)))


@bp.get("/vehicles/<int:vehicle_id>")
@api_access(*READERS)
@operation(
    "车辆及其车主与各领域历史 / "
    "A vehicle with its owner and its history (inspections, blacklist, cases) from the other domains",
    resp={200: VehicleDetailOut},
    examples={"response": {**_VEHICLE_EXAMPLE, "history": {"blacklist": [], "cases": []}}},
)
def get_vehicle(vehicle_id: int) -> Any:
    principal = principal_or_401()
    vehicle = services.get_vehicle(vehicle_id, actor=principal)
    body = vehicle_body(vehicle, principal)
    return jsonify({**body, "history": services.vehicle_history(vehicle.id, principal)})


@bp.post("/vehicles/match")
@api_access(*MATCHERS)
@operation(
    "将号牌识别结果匹配到登记车辆 / Match a plate read to registered vehicles: exact, probable, ambiguous or none",
    json=MatchIn,
    resp={200: MatchOut},
    examples={"request": {"plate": "晋E1234S", "plate_color": "yellow"}, "response": _MATCH_EXAMPLE},
)
def match_vehicle() -> Any:
    return jsonify(matching.match_json(services.match(json_body(MatchIn))))


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
    examples={
        "response": {
            "readings": [
                {
                    "plate": "晋EA1234D",
                    "color": "green",
                    "confidence": 0.9731,
                    "doubtful": False,
                    "char_confidences": [0.9731, 0.9962, 0.9988, 0.9975, 0.9991, 0.9969, 0.9984, 0.9958],
                    "corners": [[412.0, 605.5], [618.0, 601.0], [619.5, 668.0], [413.0, 672.5]],
                }
            ],
            "elapsed_ms": 184.2,
        }
    },
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
    resp={200: OwnerPage},
    examples={"response": {"results": [_OWNER_EXAMPLE], "next_cursor": None}},
)
def list_owners() -> Any:
    principal = principal_or_401()
    rows, cursor = services.list_owners(query_args(OwnerQuery))
    return jsonify(page_json(rows, cursor, lambda o: owner_body(o, principal)))


@bp.get("/owners/<int:owner_id>")
@api_access(*OWNER_READERS)
@operation(
    "车主及其车队数量 / An owner with its fleet counts (list the vehicles with GET /vehicles?owner_id=)",
    resp={200: OwnerDetailOut},
    examples={
        "response": {
            **_OWNER_EXAMPLE,
            "fleet": {
                "vehicles": 12,
                "by_status": {"active": 10, "scrapped": 2},
                "active_by_emission_standard": {"3": 2, "5": 6, "6": 2},
            },
        }
    },
)
def get_owner(owner_id: int) -> Any:
    principal = principal_or_401()
    owner = services.get_owner(owner_id)
    return jsonify({**owner_body(owner, principal), "fleet": services.fleet_summary(owner.id)})
