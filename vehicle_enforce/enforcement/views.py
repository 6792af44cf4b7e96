"""Police pages: hotlist lookup and today's checkpoint hits."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, render_template, request
from sqlalchemy import Select, select

from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access, person
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.blacklist import answers
from vehicle_enforce.blacklist.models import HotlistLookup, HotlistRead
from vehicle_enforce.cases.models import CASE_STATE_ZH, Case
from vehicle_enforce.core import listing
from vehicle_enforce.core.forms import FormInvalid, parse_form, refused_redraws
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.enforcement import hotlist
from vehicle_enforce.enforcement.schemas import BatchCheck
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH, Vehicle

bp = Blueprint("police_pages", __name__, url_prefix="/ops/police")
LABELS_ZH = {"plate": "号牌号码", "plate_color": "号牌颜色", "reason": "查询事由", "location": "查询地点"}
FORM_FIELDS = ("plate", "plate_color", "reason", "location")


@bp.get("/hotlist")
@page_access(D.police)
def hotlist_page() -> Any:
    return _hotlist_page(None)


@bp.post("/hotlist")
@page_access(D.police)
@refused_redraws(hotlist_page, "未查询", LABELS_ZH)
def check_plate() -> Any:
    """One lookup, recorded with its reason (the API's own schema for hotlist checks: colours, lengths)."""
    principal = current_principal()
    assert principal is not None
    form = _form()
    problems = {k: "必填" for k in ("plate", "reason") if not form[k]}
    if form["plate"] and (problem := hotlist.plate_problem(form["plate"])) is not None:
        problems["plate"] = problem
    if problems:
        raise FormInvalid(problems, LABELS_ZH)
    read = {"plate": form["plate"], "plate_color": form["plate_color"] or None, "location": form["location"] or None}
    data = parse_form(
        BatchCheck,
        {"reads": [read], "reason": form["reason"]},
        {f"reads.0.{k}": LABELS_ZH[k] for k in ("plate", "plate_color", "location")} | {"reason": "查询事由"},
    )
    [result] = hotlist.check(data, actor=principal, mode="single")
    return _hotlist_page(result)


def _form() -> dict[str, str]:
    return {k: request.form.get(k, "").strip() for k in FORM_FIELDS} | (
        {} if request.method == "POST" else {"plate_color": "yellow"}
    )


def _hotlist_page(result: dict[str, Any] | None) -> Any:
    return render_template(
        "police/hotlist.html",
        form=_form(),
        result=result,
        colors=PLATE_COLOR_ZH,
        situations=answers.SITUATIONS,
        by_code=answers.BY_CODE,
        severity_zh=answers.SEVERITY_ZH,
    )


#: What a checkpoint read hit (HotlistRead.hit), as the hits list and its export show it.
HIT_ZH = {
    "exact": "命中",
    "probable": "疑似命中（号牌可能误识别）",
    "colour_differs": "同号码异色",
    "ambiguous": "多车待核对",
}


def _hit_row(row: tuple[HotlistRead, HotlistLookup, str | None, str | None, int | None, str | None]) -> dict[str, Any]:
    read, lookup, listed_plate, _listed_color, case_id, case_state = row
    return {
        "seen_at": read.seen_at,
        "plate": read.plate,
        "plate_color": read.plate_color,
        "hit": read.hit,
        "location": read.location,
        "officer": person(lookup.actor_name),
        "reason": lookup.reason,
        "listed_plate": listed_plate,
        "case_id": case_id,
        "case_state": case_state,
    }


HITS = listing.ListSpec(
    name="hotlist_hits",
    title="卡口命中记录",
    id_column=HotlistRead.id,
    filters=(
        listing.plate_search(HotlistRead.plate),
        listing.Filter("hit", "命中情况", listing.equals(HotlistRead.hit), "choice", HIT_ZH),
        listing.Filter("date", "日期", listing.on_day(HotlistRead.seen_at), "date", default="today"),
    ),
    sorts=(
        listing.Sort("seen_at", "时间", HotlistRead.seen_at),
        listing.Sort("plate", "号牌", HotlistRead.plate, "text"),
    ),
    default_sort="-seen_at",
    columns=(
        Column("seen_at", "时间", "datetime"),
        Column("plate", "号牌"),
        Column("plate_color", "号牌颜色", labels=PLATE_COLOR_ZH),
        Column("hit", "命中情况", labels=HIT_ZH),
        Column("location", "地点"),
        Column("officer", "查询人"),
        Column("reason", "查询事由"),
        Column("listed_plate", "黑名单车辆"),
        Column("case_id", "案件编号"),
        Column("case_state", "案件状态", labels=CASE_STATE_ZH),
    ),
    export_row=_hit_row,
)


def hits_statement() -> Select[Any]:
    """The reads the hits list shows before its filters (HITS) narrow them; the home page counts its
    今日卡口命中 card with this and HITS' `date=today`, so the count and the list cannot differ.

    Each hit with the listed vehicle it hit (a probable read names another plate) and that listing's case.
    listing.respond takes a one- or two-entity select; the row shape is the template's and _hit_row's."""
    return cast(
        "Select[Any]",
        select(HotlistRead, HotlistLookup, Vehicle.plate, Vehicle.plate_color, Case.id, Case.state)
        .join(HotlistLookup, HotlistLookup.id == HotlistRead.lookup_id)
        .outerjoin(Vehicle, Vehicle.id == HotlistRead.vehicle_id)
        .outerjoin(Case, Case.entry_id == HotlistRead.entry_id)
        .where(HotlistRead.hit.is_not(None)),
    )


@bp.get("/hits")
@page_access(D.police)
def hits_today() -> Any:
    """The checkpoint reads that hit the hotlist: today's by default (`?date=`), searchable, exportable."""
    principal = current_principal()
    assert principal is not None
    return listing.respond(
        HITS, hits_statement(), principal, lambda state: render_template("police/hits.html", state=state, hits=HIT_ZH)
    )
