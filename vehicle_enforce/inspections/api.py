"""JSON API: remote-sensing passes, roadside/spot tests, black-smoke captures, I站 results, repairs, rules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from vehicle_enforce.auth.models import Department
from vehicle_enforce.auth.principal import api_access, principal_or_401
from vehicle_enforce.core import batch, jsontext
from vehicle_enforce.core.errors import BadRequest, Conflict, Invalid, PayloadTooLarge, error_body
from vehicle_enforce.core.openapi import json_body, operation, query_args
from vehicle_enforce.core.pagination import PageQuery, page, page_json
from vehicle_enforce.core.schemas import raw_json_body
from vehicle_enforce.core.timeutil import local_day, now_utc
from vehicle_enforce.inspections import captures, evidence, passes, queries, repairs, roadside, rules
from vehicle_enforce.inspections import examples as ex
from vehicle_enforce.inspections.models import BlackSmokeCapture, RemoteSensingPass, Repair, RoadsideTest, RuleChange
from vehicle_enforce.inspections.schemas import (
    MAX_BATCH,
    CaptureDetail,
    CaptureIn,
    CaptureOut,
    CapturePage,
    CaptureQuery,
    InspectionIn,
    PassBatch,
    PassDetail,
    PassPage,
    PassQuery,
    PassResults,
    RepairIn,
    RepairOut,
    RepairPage,
    RepairQuery,
    ReviewIn,
    RoadsideTestIn,
    RuleChangeIn,
    RuleChangeOut,
    RuleChangePage,
    RulesOn,
    RulesOut,
    TestOut,
    TestPage,
    TestQuery,
)

bp = Blueprint("inspections_api", __name__, url_prefix="/api/v1")

D = Department
READERS = (D.environment, D.police, D.transport, D.township, D.station)
EVIDENCE_READERS = (D.environment, D.police)


# --------------------------------------------------------------------------------------------------
# Helpers


def _uploads_from_form(prefix: str) -> list[evidence.Upload]:
    return [
        evidence.Upload(f.filename or f"{prefix}-{i}", f.read())
        for i, f in enumerate(request.files.getlist(prefix))
        if f is not None
    ]


def _json_or_multipart() -> Any:
    """The JSON body, or the `data` JSON field of a multipart form (files come alongside)."""
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("data")
        if raw is None:
            raise BadRequest("multipart body needs a 'data' field with the JSON", {"data": "field required"})
        try:
            return jsontext.loads(raw)
        except ValueError:
            raise BadRequest("the 'data' field is not valid JSON", {"data": "malformed JSON"}) from None
    return raw_json_body()


# --------------------------------------------------------------------------------------------------
# Remote-sensing passes


@bp.post("/remote-sensing/passes")
@api_access(D.station, D.environment)
@operation(
    "上传遥感检测记录（单条或批量，至多 10,000 条） / "
    "Post one pass or {passes: [...]} (up to 10,000): judged, matched, stored once per (station, record_id)",
    body_schema=PassBatch,
    batch=True,
    resp={201: PassResults, 200: PassResults},
    examples={"request": {"passes": [ex.PASS_IN]}, "response": {"results": [ex.PASS_RESULT]}},
)
def post_passes() -> Any:
    principal = principal_or_401()
    body = _json_or_multipart()
    multipart = request.mimetype == "multipart/form-data"
    if isinstance(body, dict) and "passes" in body:
        extra = set(body) - {"passes"}
        if extra:
            raise Invalid("a batch has only 'passes'", {k: "unknown field" for k in sorted(extra)})
        raw = body["passes"]
        if not isinstance(raw, list) or not raw:
            raise Invalid("passes must be a non-empty list", {"passes": "must be a non-empty list"})
        if len(raw) > MAX_BATCH:
            raise PayloadTooLarge(f"at most {MAX_BATCH} passes per request", {"passes": f"more than {MAX_BATCH}"})
        items = [
            passes.parse_pass(i, p, _uploads_from_form(f"photos.{i}") if multipart else ()) for i, p in enumerate(raw)
        ]
        single = False
    else:
        items = [passes.parse_pass(0, body, _uploads_from_form("photos") if multipart else ())]
        single = True
    results = passes.store_passes(items, actor=principal)
    if single and results[0]["status"] == batch.INVALID:
        err = results[0]["error"]
        raise Invalid(f"{err['field']}: {err['message']}", items[0].fields or {err["field"]: err["message"]})
    if single and results[0]["status"] == batch.CONFLICT:
        raise Conflict(
            f"record {results[0]['record_id']} is already stored with other content",
            {"record_id": results[0]["error"]["message"]},
        )
    status = batch.http_status(results)
    if status == 422:  # every item refused: nothing to commit
        body = error_body("invalid", "every item of the batch is invalid", {})
        return jsonify({**body, "results": results}), 422
    return jsonify({"results": results}), status


@bp.get("/remote-sensing/passes")
@api_access(*READERS)
@operation(
    "遥感检测记录列表 / List passes (filters: plate, plate_color, station, record_id, verdict, since, until)",
    query=PassQuery,
    resp={200: PassPage},
    examples={"response": {"results": [ex.PASS_OUT], "next_cursor": None}},
)
def list_passes() -> Any:
    q = query_args(PassQuery)
    principal = principal_or_401()
    stmt = queries.passes_query(q, actor=principal)
    return jsonify(page_json(*page(stmt, RemoteSensingPass.id, q), passes.pass_json))


@bp.get("/remote-sensing/passes/<int:pass_id>")
@api_access(*READERS)
@operation(
    "单条遥感检测记录（测量值、判定、证据照片） / One pass with its measurements, verdict and evidence photos",
    resp={200: PassDetail},
    examples={"response": {**ex.PASS_OUT, "photos": [ex.PHOTO]}},
)
def get_pass(pass_id: int) -> Any:
    principal = principal_or_401()
    found = queries.get_pass(pass_id, actor=principal)
    photos = (
        evidence.links_for("remote_sensing_pass", [found.id])[found.id]
        if principal.department in EVIDENCE_READERS or principal.department == D.admin
        else None
    )
    # Callers who may not see evidence get `"photos": null` (the key every client relies on, never omitted).
    return jsonify({**passes.pass_json(found), "photos": photos})


@bp.get("/evidence/<sha256>")
@api_access(*EVIDENCE_READERS)
@operation(
    "按 SHA-256 取证据照片或视频（仅生态环境、公安） / "
    "An evidence photo or video by its SHA-256 (environment and police only)",
    resp={200: None},
)
def get_evidence(sha256: str) -> Any:
    content, media_type = evidence.read(sha256)
    response = Response(content, mimetype=media_type)
    response.headers["Cache-Control"] = "private, max-age=86400, immutable"
    return response


# --------------------------------------------------------------------------------------------------
# Roadside, spot and I站 tests


def _post_test(data: InspectionIn) -> Any:
    test, duplicate = roadside.record_test(data, actor=principal_or_401())
    return jsonify(roadside.test_json(test, duplicate=duplicate)), 200 if duplicate else 201


@bp.post("/roadside-tests")
@api_access(D.station, D.environment, D.police)
@operation(
    "录入路检或入户抽测结果（当即答复是否劝返） / "
    "Record a roadside or spot test; the answer says at once whether to turn the vehicle back",
    json=RoadsideTestIn,
    resp={201: TestOut, 200: TestOut},
    examples={"request": ex.ROADSIDE_TEST_IN, "response": ex.TEST_OUT},
)
def post_roadside_test() -> Any:
    return _post_test(json_body(RoadsideTestIn))


@bp.post("/inspection-results")
@api_access(D.station, D.environment)
@operation(
    "上传 I 站检验或复检结果 / Post an I站 inspection / retest result",
    json=InspectionIn,
    resp={201: TestOut, 200: TestOut},
    examples={"request": ex.INSPECTION_IN, "response": ex.INSPECTION_OUT},
)
def post_inspection_result() -> Any:
    return _post_test(json_body(InspectionIn))


def _list_tests(kinds: tuple[str, ...]) -> Any:
    q = query_args(TestQuery)
    stmt = queries.tests_query(q, actor=principal_or_401())
    stmt = stmt.where(RoadsideTest.kind.in_(kinds))
    return jsonify(page_json(*page(stmt, RoadsideTest.id, q), roadside.test_json))


@bp.get("/roadside-tests")
@api_access(*READERS)
@operation(
    "路检与入户抽测列表 / List roadside and spot tests",
    query=TestQuery,
    resp={200: TestPage},
    examples={"response": {"results": [ex.TEST_OUT], "next_cursor": None}},
)
def list_roadside_tests() -> Any:
    return _list_tests(("roadside", "spot_check", "inspection"))


@bp.get("/inspection-results")
@api_access(*READERS)
@operation(
    "I 站检验结果列表 / List I站 inspection results",
    query=TestQuery,
    resp={200: TestPage},
    examples={"response": {"results": [ex.INSPECTION_OUT], "next_cursor": None}},
)
def list_inspection_results() -> Any:
    return _list_tests(("inspection",))


# --------------------------------------------------------------------------------------------------
# Black-smoke captures


@bp.post("/black-smoke/captures")
@api_access(D.station, D.environment)
@operation(
    "上传黑烟抓拍记录（待审核） / Post a black-smoke camera capture; it waits for review",
    json=CaptureIn,
    resp={201: CaptureOut, 200: CaptureOut},
    examples={"request": ex.CAPTURE_IN, "response": ex.CAPTURE_OUT},
)
def post_capture() -> Any:
    capture, duplicate = captures.record_capture(json_body(CaptureIn), actor=principal_or_401())
    return jsonify(captures.capture_json(capture, duplicate=duplicate)), 200 if duplicate else 201


@bp.get("/black-smoke/captures")
@api_access(*READERS)
@operation(
    "黑烟抓拍列表（review_status=pending 为待审队列） / List captures; ?review_status=pending is the review queue",
    query=CaptureQuery,
    resp={200: CapturePage},
    examples={"response": {"results": [ex.CAPTURE_OUT], "next_cursor": None}},
)
def list_captures() -> Any:
    q = query_args(CaptureQuery)
    stmt = queries.captures_query(q, actor=principal_or_401())
    return jsonify(page_json(*page(stmt, BlackSmokeCapture.id, q), captures.capture_json))


@bp.get("/black-smoke/captures/<int:capture_id>")
@api_access(*READERS)
@operation(
    "单条黑烟抓拍及其证据 / One capture with its evidence",
    resp={200: CaptureDetail},
    examples={"response": {**ex.CAPTURE_OUT, "photos": [ex.PHOTO]}},
)
def get_capture(capture_id: int) -> Any:
    principal = principal_or_401()
    found = queries.get_capture(capture_id, actor=principal)
    photos = (
        evidence.links_for("black_smoke_capture", [found.id])[found.id]
        if principal.department in (*EVIDENCE_READERS, D.admin)
        else None
    )
    return jsonify(captures.capture_json(found, photos=photos))


@bp.post("/black-smoke/captures/<int:capture_id>/review")
@api_access(D.environment)
@operation(
    "确认或驳回黑烟抓拍（生态环境执法人员，留痕） / Confirm or reject a capture (environment officers; audited)",
    json=ReviewIn,
    resp={200: CaptureOut},
    examples={"request": ex.REVIEW_IN, "response": ex.CAPTURE_REVIEWED},
)
def review_capture(capture_id: int) -> Any:
    capture = captures.review_capture(capture_id, json_body(ReviewIn), actor=principal_or_401())
    return jsonify(captures.capture_json(capture))


# --------------------------------------------------------------------------------------------------
# Repairs


@bp.post("/repairs")
@api_access(D.station, D.environment, D.transport)
@operation(
    "上传 M 站维修记录 / Post a repair done at an M站",
    json=RepairIn,
    resp={201: RepairOut, 200: RepairOut},
    examples={"request": ex.REPAIR_IN, "response": ex.REPAIR_OUT},
)
def post_repair() -> Any:
    repair, duplicate = repairs.record_repair(json_body(RepairIn), actor=principal_or_401())
    return jsonify(repairs.repair_json(repair, duplicate=duplicate)), 200 if duplicate else 201


@bp.get("/repairs")
@api_access(*READERS)
@operation(
    "维修记录列表 / List repairs",
    query=RepairQuery,
    resp={200: RepairPage},
    examples={"response": {"results": [ex.REPAIR_OUT], "next_cursor": None}},
)
def list_repairs() -> Any:
    q = query_args(RepairQuery)
    stmt = queries.repairs_query(q, actor=principal_or_401())
    return jsonify(page_json(*page(stmt, Repair.id, q), repairs.repair_json))


# --------------------------------------------------------------------------------------------------
# Rules and limits


@bp.get("/rules")
@api_access(*READERS)
@operation(
    "某日生效的规则与限值 / The rules and limits in force on a day (?on=YYYY-MM-DD, default today)",
    query=RulesOn,
    resp={200: RulesOut},
    examples={"response": ex.RULES_OUT},
)
def get_rules() -> Any:
    q = query_args(RulesOn)
    day = q.on or local_day(now_utc())
    return jsonify({"on": day.isoformat(), "rules": rules.current_document(day)})


@bp.get("/rules/changes")
@api_access(*READERS)
@operation(
    "按日期生效的规则变更（由早到晚） / Dated rule changes, oldest first",
    query=PageQuery,
    resp={200: RuleChangePage},
    examples={"response": {"results": [ex.RULE_CHANGE_OUT], "next_cursor": None}},
)
def list_rule_changes() -> Any:
    q = query_args(PageQuery)
    return jsonify(page_json(*page(select(RuleChange), RuleChange.id, q), rules.change_json))


@bp.post("/rules/changes")
@api_access(D.environment)
@operation(
    "自某日起变更限值、有效范围或列入规则（仅生态环境，留痕） / "
    "Change limits, validity ranges or the listing rule from a date (environment only; audited)",
    json=RuleChangeIn,
    resp={201: RuleChangeOut},
    examples={"request": ex.RULE_CHANGE_IN, "response": ex.RULE_CHANGE_OUT},
)
def post_rule_change() -> Any:
    change = rules.change_rules(json_body(RuleChangeIn), actor=principal_or_401())
    return jsonify(rules.change_json(change)), 201


@bp.post("/rules/changes/<int:change_id>/withdraw")
@api_access(D.environment)
@operation(
    "在生效前撤回规则变更（仅生态环境，留痕） / "
    "Withdraw a rules change before it takes effect (environment only; audited)",
    resp={200: RuleChangeOut},
    examples={"response": ex.RULE_CHANGE_WITHDRAWN},
)
def withdraw_rule_change(change_id: int) -> Any:
    change = rules.withdraw_change(change_id, actor=principal_or_401())
    return jsonify(rules.change_json(change))
