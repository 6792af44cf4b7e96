"""Station and environment pages: enter a roadside test, passes with filters, black-smoke review."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from plates import normalize_plate
from plates.text import PROVINCE_ORDER
from vehicle_enforce.auth import privacy, scope
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core import decisions, listing
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import BadRequest, ServiceError
from vehicle_enforce.core.forms import FormInvalid, field_refused, parse_form, refused_redraws
from vehicle_enforce.core.inputs import db_int
from vehicle_enforce.core.messages import page_messages
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.core.timeutil import SHANGHAI, format_local, now_utc
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import captures, evidence, queries, roadside
from vehicle_enforce.inspections.models import (
    INVALID_REASON_ZH,
    ITEM_ZH,
    VERDICT_ZH,
    BlackSmokeCapture,
    RemoteSensingPass,
    Station,
)
from vehicle_enforce.inspections.schemas import READINGS, ReviewIn, RoadsideTestIn
from vehicle_enforce.vehicles import plate_reading
from vehicle_enforce.vehicles import services as vehicle_services
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH, Owner, Vehicle

bp = Blueprint("inspection_pages", __name__, url_prefix="/ops/inspections")

METHODS = {"free_acceleration": "自由加速法", "ringelmann": "林格曼黑度法"}

#: The page's names for the fields the schema may refuse.
FIELD_LABELS = {
    "station": "站点",
    "plate": "号牌",
    "plate_color": "号牌颜色",
    "method": "检测方法",
    "kind": "检测类型",
    "report_number": "报告编号",
    "readings": "读数",
    "readings.k_readings": "光吸收系数读数",
    "readings.ringelmann": "林格曼黑度",
    "verdict": "判定结果",
    "since": "起始日期",
    "until": "截止日期",
    "cursor": "页码",
    "k_readings": "光吸收系数读数",
    "ringelmann": "林格曼黑度",
    **{name: f"第{i + 1}次光吸收系数" for i, name in enumerate(("k1", "k2", "k3", "k4"))},
}


FORM_FIELDS: tuple[str, ...] = ("station", "plate", "plate_color", "method", "k1", "k2", "k3", "k4", "ringelmann")
FORM_FIELDS += ("report_number", "kind", "photo_token")


#: What "下一辆" keeps for the next vehicle (the operator's station, kind of test and method).
KEPT_FOR_NEXT = ("station", "kind", "method")


@bp.get("/roadside-test")
@page_access(D.station, D.environment, D.police)
def roadside_test() -> Any:
    """The test entry form (drawn again, with what was typed, when a submission is refused); a fresh
    form ("下一辆") keeps the station, kind and method given in its link."""
    form = _form()
    if request.method == "GET":
        form.update({k: request.args.get(k, "").strip() for k in KEPT_FOR_NEXT})
    return _roadside_page(form)


@bp.get("/roadside-test/check")
@page_access(D.station, D.environment, D.police)
def check_roadside_test() -> Any:
    """What saving would refuse in the form as typed so far, per input (`static/roadside.js` shows it as
    the operator types): the very parse that saving runs, so page and server never disagree."""
    form = _form(request.args)
    problems: dict[str, str] = {}
    try:
        _test_from_form(form, "check")
    except FormInvalid as exc:
        problems = dict(exc.fields)
    return jsonify({"fields": problems, "plate": normalize_plate(form["plate"])})


@bp.post("/roadside-test")
@page_access(D.station, D.environment, D.police)
@refused_redraws(roadside_test, "检测记录未保存", {**FIELD_LABELS, "photo": "照片", "image": "照片"})
def record_roadside_test() -> Any:
    principal = current_principal()
    assert principal is not None
    form = _form()
    if request.form.get("action") == "read":
        return _roadside_page(form, photo_read=_read_photo(form, principal))
    photos, plate_read = _photo_for_test(form, principal)
    test, _ = roadside.record_test(
        _test_from_form(form, principal.name), actor=principal, photos=photos, plate_read=plate_read
    )
    form["photo_token"] = ""
    return _roadside_page(
        form,
        result=roadside.test_json(test),
        history=_history(test.vehicle_id, principal),
        vehicle=_registered(test.vehicle_id, principal),
        saved={"photo": bool(photos), "plate_read": _with_doubt(plate_read)},
    )


def _with_doubt(plate_read: dict[str, Any] | None) -> dict[str, Any] | None:
    """The photo's read with `doubtful` set when below the reader's threshold: the page then says
    需人工核对 and never that the plate was confirmed."""
    if plate_read is None:
        return None
    confidence = float(plate_read.get("confidence") or 0)
    return {**plate_read, "doubtful": confidence < plate_reading.reader_threshold()}


def _registered(vehicle_id: int | None, viewer: Actor) -> dict[str, Any] | None:
    """The registered vehicle the test was matched to: type, fuel, standard, owner (masked by role)."""
    vehicle = db.session.get(Vehicle, vehicle_id) if vehicle_id is not None else None
    if vehicle is None:
        return None
    owner = db.session.get(Owner, vehicle.owner_id) if vehicle.owner_id is not None else None
    shown = None
    if owner is not None:
        whole = privacy.sees_personal_data(viewer)  # as the lists mask owners (core/listing.OWNER_MASKS)
        shown = {
            "name": owner.name if whole else privacy.mask_name(owner.name),
            "phone": owner.phone if whole else privacy.mask_phone(owner.phone),
            "kind": owner.kind,
        }
    return {
        "plate": vehicle.plate,
        "plate_color": vehicle.plate_color,
        "vehicle_type": vehicle.vehicle_type,
        "fuel": vehicle.fuel,
        "emission_standard": vehicle.emission_standard,
        "emission_standard_inferred": vehicle.emission_standard_inferred,
        "status": vehicle.status,
        "owner": shown,
    }


def _form(source: Mapping[str, str] | None = None) -> dict[str, str]:
    values = request.form if source is None else source
    return {k: values.get(k, "").strip() for k in FORM_FIELDS}


#: The station kinds whose tests are entered on the roadside-test page.
ENTERED_KINDS = ("roadside", "spot_check")


def _roadside_page(form: dict[str, str], **shown: Any) -> Any:
    """The form offers the stations the caller may record for: a station account its own station only
    (none when its station is not a roadside or spot-check one: the page says where its work is)."""
    principal = current_principal()
    assert principal is not None
    stmt = select(Station).where(Station.kind.in_(ENTERED_KINDS)).order_by(Station.code)
    own = None
    if principal.department == D.station:
        own = db.session.get(Station, principal.station_id) if principal.station_id else None
        stmt = stmt.where(Station.id == (principal.station_id or -1))
    stations = db.session.scalars(stmt).all()
    if len(stations) == 1 and not form["station"]:
        form = {**form, "station": stations[0].code}
    if not form["report_number"]:  # fixed when the form is drawn: sending it twice stores one test
        form = {**form, "report_number": _report_number()}
    return render_template(
        "station/roadside_test.html",
        stations=stations,
        own_station=own,
        form=form,
        methods=METHODS,
        colors=PLATE_COLOR_ZH,
        provinces=PROVINCE_ORDER,
        next_vehicle={k: form[k] for k in KEPT_FOR_NEXT if form[k]},
        **{"result": None, "history": None, "vehicle": None, "photo_read": None, "saved": None, **shown},
    )


K_INPUTS = ("k1", "k2", "k3", "k4")


def _test_from_form(form: dict[str, str], operator: str) -> RoadsideTestIn:
    """The form parsed by the API's own schema (RoadsideTestIn, then the method's readings schema).

    Every refusal is named by the input that shows it (`k2`, `k_readings` for the count, `ringelmann`),
    so the page puts each message beside its box, after saving and as the operator types alike."""
    if form["method"] == "ringelmann":
        readings: dict[str, Any] = {"ringelmann": form["ringelmann"]} if form["ringelmann"] else {}
        k_filled: list[str] = []
    else:
        k_filled = [k for k in K_INPUTS if form[k]]
        readings = {"k_readings": [form[k] for k in k_filled]}
    values: dict[str, Any] = {
        "station": form["station"] or None,
        "report_number": form["report_number"] or _report_number(),
        "kind": form["kind"] or "roadside",
        "method": form["method"],
        "tested_at": now_utc(),
        "plate": form["plate"],
        "plate_color": form["plate_color"] or "yellow",
        "readings": readings,
        "operator": operator,
    }
    problems: dict[str, str] = {}
    data: RoadsideTestIn | None = None
    try:
        data = parse_form(RoadsideTestIn, values, FIELD_LABELS)
    except FormInvalid as exc:
        problems.update(exc.fields)
    schema = READINGS.get(form["method"])
    parsed = None
    if schema is not None:
        try:
            parsed = parse_form(schema, readings, FIELD_LABELS)
        except FormInvalid as exc:
            problems.update({_reading_input(k, k_filled): v for k, v in exc.fields.items()})
    if problems or data is None or parsed is None:
        raise FormInvalid(problems or {"method": "不是可选的值"}, FIELD_LABELS)
    return data.model_copy(update={"readings": parsed.model_dump()})


def _reading_input(field: str, k_filled: list[str]) -> str:
    """The input a readings schema's refusal belongs to: `k_readings.1` is the second filled k box."""
    head, _, index = field.partition(".")
    if head == "k_readings" and index.isdigit() and int(index) < len(k_filled):
        return k_filled[int(index)]
    return head


# The photo read before the test is sent travels in the form as a signed token (its SHA-256 in the
# evidence store, who uploaded it and what was read), so the test links that photo and nothing else.
PHOTO_SALT = "roadside-test-photo"
PHOTO_TOKEN_MAX_AGE = 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    # create_app always sets SECRET_KEY; Flask types it optional.
    return URLSafeTimedSerializer(current_app.secret_key, salt=PHOTO_SALT)  # type: ignore[arg-type]  # see above


def _uploaded_photo() -> bytes | None:
    upload = request.files.get("photo")
    return upload.read(plate_reading.max_bytes() + 1) if upload is not None else None


def _read_photo(form: dict[str, str], principal: Any) -> dict[str, Any] | None:
    """Read the uploaded photo, keep it for the test, prefill plate and colour with the best reading."""
    content = _uploaded_photo()
    try:
        read = plate_reading.read_photo(content, match=True)
    except ServiceError as exc:  # not a refusal of the test: the page stays as it was, with the reason
        fields, general = page_messages(exc)
        flash(f"号牌识别失败：{'；'.join(fields.values()) or general}", "error")
        return None
    assert content is not None
    best = read.best
    plate_read = (
        {"plate": best.plate, "color": best.color, "confidence": round(float(best.confidence), 4)} if best else None
    )
    token = {"sha256": evidence.stash(content), "by": principal.id, "read": plate_read}
    form["photo_token"] = _serializer().dumps(token)
    if best is not None:
        form["plate"] = normalize_plate(best.plate) or best.plate
        if best.color in PLATE_COLOR_ZH and best.color != "unknown":
            form["plate_color"] = best.color
    return plate_reading.photo_read_json(read)


def _photo_for_test(form: dict[str, str], principal: Any) -> tuple[list[evidence.Upload], dict[str, Any] | None]:
    """The photo to keep with the test: a newly chosen file, else the one read earlier (and its read)."""
    content = _uploaded_photo()
    if content:
        plate_reading.decode_photo(content)  # the same checks as for reading
        return [evidence.Upload("photo", content)], None
    if not form["photo_token"]:
        return [], None
    try:
        token = _serializer().loads(form["photo_token"], max_age=PHOTO_TOKEN_MAX_AGE)
    except BadSignature:
        raise BadRequest("photo token is invalid or expired", {"photo": "请重新上传照片"}) from None
    stored = evidence.stashed(str(token.get("sha256", ""))) if token.get("by") == principal.id else None
    if stored is None:
        raise BadRequest("photo is no longer available", {"photo": "请重新上传照片"})
    return [evidence.Upload("photo", stored)], token.get("read")


def _report_number() -> str:
    return "WEB-" + datetime.now(SHANGHAI).strftime("%Y%m%d%H%M%S%f")[:-3]


def _history(vehicle_id: int | None, viewer: Actor) -> dict[str, Any] | None:
    if vehicle_id is None:
        return None
    return vehicle_services.vehicle_history(vehicle_id, viewer)


def _with_owner(stmt: Select[Any]) -> Select[Any]:
    """The export's statement: each pass with its station and its vehicle's owner (name, phone)."""
    return listing.with_owner(stmt, RemoteSensingPass.vehicle_id).options(selectinload(RemoteSensingPass.station))


def _pass_row(row: tuple[RemoteSensingPass, str | None, str | None]) -> dict[str, Any]:
    p, owner, phone = row
    return {
        "measured_at": p.measured_at,
        "station": p.station.name,
        "station_code": p.station.code,
        "plate": p.plate or "无车牌",
        "plate_color": p.plate_color,
        "verdict": p.verdict,
        "exceeded": "、".join(
            f"{ITEM_ZH.get(e['item'], e['item'])} {e['value']}（限值 {e['limit']}）" for e in p.exceeded
        ),
        "invalid": "、".join(INVALID_REASON_ZH.get(r, r) for r in p.invalid_reasons),
        "speed_kmh": p.speed_kmh,
        "owner": owner,
        "owner_phone": phone,
        "withdrawn": p.withdrawn,
    }


PASSES = listing.ListSpec(
    name="remote_sensing_passes",
    title="遥感检测记录",
    id_column=RemoteSensingPass.id,
    filters=(
        listing.plate_search(RemoteSensingPass.plate),
        listing.Filter(
            "verdict",
            "判定结果",
            listing.equals(RemoteSensingPass.verdict),
            "choice",
            {v: VERDICT_ZH[v] for v in ("pass", "exceed", "invalid")},
        ),
        listing.Filter("date", "检测日期", listing.on_day(RemoteSensingPass.measured_at), "date"),
        listing.Filter("since", "起始日期", listing.since(RemoteSensingPass.measured_at), "date"),
        listing.Filter("until", "截止日期", listing.until(RemoteSensingPass.measured_at), "date"),
        listing.Filter(
            "station",
            "点位编号",
            lambda stmt, code: stmt.where(
                RemoteSensingPass.station_id.in_(select(Station.id).where(Station.code == code))
            ),
            max_length=32,
        ),
    ),
    sorts=(
        listing.Sort("measured_at", "检测时间", RemoteSensingPass.measured_at),
        listing.Sort("plate", "号牌", RemoteSensingPass.plate, "text"),
    ),
    default_sort="-measured_at",
    columns=(
        Column("measured_at", "检测时间", "datetime"),
        Column("station", "点位"),
        Column("station_code", "点位编号"),
        Column("plate", "号牌"),
        Column("plate_color", "号牌颜色", labels=PLATE_COLOR_ZH),
        Column("verdict", "判定结果", labels=VERDICT_ZH),
        Column("exceeded", "超标项"),
        Column("invalid", "无效原因"),
        Column("speed_kmh", "车速（km/h）", "number"),
        Column("withdrawn", "已撤回", "bool"),
        *listing.OWNER_COLUMNS,
    ),
    export_row=_pass_row,
    export_query=_with_owner,
    masks=listing.OWNER_MASKS,
)


@bp.get("/passes")
@page_access(D.environment, D.police, D.transport, D.station)
def passes() -> Any:
    """Passes, newest first, scoped as the API scopes them (a station account: its station's passes,
    which is how a remote-sensing operator follows its device); search, filters, sort, export."""
    principal = current_principal()
    assert principal is not None
    stmt = queries.passes_query(None, actor=principal).options(selectinload(RemoteSensingPass.station))
    return listing.respond(
        PASSES, stmt, principal, lambda state: render_template("environment/passes.html", state=state)
    )


@bp.get("/black-smoke")
@page_access(D.environment)
def black_smoke() -> Any:
    principal = current_principal()
    assert principal is not None
    stmt = queries.pending_captures_query(principal).order_by(BlackSmokeCapture.id)
    pending = db.session.scalars(stmt).all()
    # Each capture's photos and clip beside its decision, linked through the capture (reviews/evidence_views).
    photos = {c.id: evidence.page_files("black-smoke", c.id, "black_smoke_capture", c.id) for c in pending}
    return render_template("environment/black_smoke.html", pending=pending, photos=photos)


@bp.post("/black-smoke")
@page_access(D.environment)
@refused_redraws(black_smoke, "审核未保存", {"capture_id": "抓拍记录", "decision": "审核结论", "note": "备注"})
def review_black_smoke() -> Any:
    principal = current_principal()
    assert principal is not None
    capture_id = db_int(request.form.get("capture_id"))
    if not capture_id:
        raise field_refused("capture_id", "记录不存在")
    review = parse_form(
        ReviewIn,
        {"decision": request.form.get("decision", ""), "note": request.form.get("note") or None},
        {"decision": "审核结论", "note": "备注"},
    )
    if not decisions.confirmed():  # a decision that changes the record: the confirmation step first
        capture = db.session.get(BlackSmokeCapture, capture_id)
        if capture is None or not scope.visible(BlackSmokeCapture, capture_id, principal):
            raise field_refused("capture_id", "记录不存在")
        what = f"{capture.plate} 于 {format_local(capture.captured_at)} 的黑烟抓拍（林格曼 {capture.ringelmann} 级）"
        if review.decision == "confirm":
            return decisions.ask(f"确认超标：{what}，计入超标记录？", label="确认超标")
        return decisions.ask(f"驳回：{what}，不计入超标？", label="驳回")
    captures.review_capture(capture_id, review, actor=principal)
    flash("审核结果已保存", "info")
    return redirect(url_for("inspection_pages.black_smoke"))
