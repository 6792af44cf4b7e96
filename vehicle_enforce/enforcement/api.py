"""JSON API: the police hotlist (one plate at a checkpoint, or a camera gateway's batch of reads)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.blacklist import answers
from vehicle_enforce.core.errors import Invalid
from vehicle_enforce.core.openapi import operation, query_args
from vehicle_enforce.core.schemas import parse_batch
from vehicle_enforce.enforcement import hotlist
from vehicle_enforce.enforcement.schemas import (
    BATCH_REQUEST_EXAMPLE,
    CLEAR_EXAMPLE,
    HIT_EXAMPLE,
    INVALID_EXAMPLE,
    BatchCheck,
    CheckQuery,
    HotlistAnswer,
    HotlistResults,
)

bp = Blueprint("hotlist_api", __name__, url_prefix="/api/v1")


@bp.get("/hotlist/check")
@api_access(D.police, bearer_only=True)  # recorded: a page session cannot run it (cross-site requests)
@operation(
    "卡口查询单个号牌（须写明事由并记录） / Check one plate at a checkpoint (reason required and recorded)",
    query=CheckQuery,
    description="A text that cannot be a GA 36 plate gets 422 naming what is wrong.\n\n"
    + answers.openapi_description(),
    resp={200: HotlistAnswer},
    examples={"response": HIT_EXAMPLE},
)
def check_one() -> Any:
    principal = principal_or_401()
    q = query_args(CheckQuery)
    problem = hotlist.plate_problem(q.plate)
    if problem is not None:
        raise Invalid(problem, {"plate": problem})
    [result] = hotlist.check(BatchCheck.of_one(q), actor=principal, mode="single")
    return jsonify(result)


@bp.post("/hotlist/check")
@api_access(D.police)
@operation(
    "卡口批量比对（至多 1,000 条，须写明事由或卡口编号并记录） / "
    "Check a checkpoint camera's batch of up to 1,000 reads (reason or checkpoint code required and recorded)",
    body_schema=BatchCheck,
    batch=True,
    description="Each item of `results` carries `index` and `status`: `ok` with the answer below, or `invalid` "
    "with `error` {field, code, message} for a text that cannot be a GA 36 plate.\n\n" + answers.openapi_description(),
    resp={200: HotlistResults},
    examples={
        "request": BATCH_REQUEST_EXAMPLE,
        "response": {"results": [{**HIT_EXAMPLE, "index": 0}, CLEAR_EXAMPLE, INVALID_EXAMPLE]},
    },
)
def check_batch() -> Any:
    principal = principal_or_401()
    data = parse_batch(BatchCheck)  # one pass over the raw body; the answer is not validated again
    results = hotlist.check(data, actor=principal, mode="batch")
    return jsonify({"results": results})
