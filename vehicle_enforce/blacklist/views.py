"""The blacklist page: every listing (city-wide, as the hotlist reads it) with search, filters, sorting,
paging and export; environment (and admin) list a vehicle by hand and release a listing, each with the
reason the law asks for (the same services as the API: `blacklist.services`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from plates import normalize_plate
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.auth.pages import page_access
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.blacklist import services
from vehicle_enforce.blacklist.models import BlacklistEntry
from vehicle_enforce.blacklist.schemas import ManualListing, Release
from vehicle_enforce.core import listing
from vehicle_enforce.core.forms import parse_form, refused_redraws
from vehicle_enforce.core.spreadsheets import Column
from vehicle_enforce.vehicles.models import PLATE_COLOR_ZH

bp = Blueprint("blacklist_pages", __name__, url_prefix="/ops/blacklist")

#: Who may list and release by hand (the API's POST /blacklist and /release: environment; admin always).
ACTORS = (D.environment,)
STATUS_ZH = {"active": "在册", "released": "已解除", "all": "全部"}
KIND_ZH = {"rule": "规则自动列入", "manual": "人工列入"}
RELEASE_KIND_ZH = {"retest": "复检合格", "manual": "人工解除", "scrapped": "报废注销", "withdrawn": "证据撤回"}
FIELD_LABELS = {"plate": "号牌", "plate_color": "号牌颜色", "reason": "理由", "vehicle_id": "车辆", "entry": "记录"}


def _entry_row(row: tuple[BlacklistEntry, str | None, str | None]) -> dict[str, Any]:
    entry, owner, phone = row
    return {
        "plate": entry.vehicle.plate,
        "plate_color": entry.vehicle.plate_color,
        "status": entry.status,
        "kind": entry.kind,
        "listed_at": entry.listed_at,
        "reason": entry.reason,
        "released_at": entry.released_at,
        "release_kind": entry.release_kind,
        "release_reason": entry.release_reason,
        "owner": owner,
        "owner_phone": phone,
    }


def _with_owner(stmt: Select[Any]) -> Select[Any]:
    return listing.with_owner(stmt, BlacklistEntry.vehicle_id).options(selectinload(BlacklistEntry.vehicle))


def _status(stmt: Select[Any], status: str) -> Select[Any]:
    return stmt if status == "all" else stmt.where(BlacklistEntry.status == status)


BLACKLIST = listing.ListSpec(
    name="blacklist_entries",
    title="高排放车辆黑名单",
    id_column=BlacklistEntry.id,
    filters=(
        listing.plate_search(BlacklistEntry.vehicle_id, via_vehicle=True),
        listing.Filter("status", "状态", _status, "choice", STATUS_ZH, default="active"),
        listing.Filter("kind", "列入方式", listing.equals(BlacklistEntry.kind), "choice", KIND_ZH),
        listing.Filter("since", "列入起始日期", listing.since(BlacklistEntry.listed_at), "date"),
        listing.Filter("until", "列入截止日期", listing.until(BlacklistEntry.listed_at), "date"),
    ),
    sorts=(
        listing.Sort("listed_at", "列入时间", BlacklistEntry.listed_at),
        listing.Sort("released_at", "解除时间", BlacklistEntry.released_at, nullable=True),
    ),
    default_sort="-listed_at",
    columns=(
        Column("plate", "号牌"),
        Column("plate_color", "号牌颜色", labels=PLATE_COLOR_ZH),
        Column("status", "状态", labels=STATUS_ZH),
        Column("kind", "列入方式", labels=KIND_ZH),
        Column("listed_at", "列入时间", "datetime"),
        Column("reason", "列入原因", width=60),
        Column("released_at", "解除时间", "datetime"),
        Column("release_kind", "解除方式", labels=RELEASE_KIND_ZH),
        Column("release_reason", "解除理由", width=40),
        *listing.OWNER_COLUMNS,
    ),
    export_row=_entry_row,
    export_query=_with_owner,
    masks=listing.OWNER_MASKS,
)


@bp.get("/")
@page_access(D.environment, D.police, D.transport)
def blacklist_page() -> Any:
    """Every listing (the blacklist is city-wide): search, filters, sort, paging, export; the forms to
    list and release by hand for environment and admin."""
    principal = current_principal()
    assert principal is not None
    stmt = select(BlacklistEntry).options(selectinload(BlacklistEntry.vehicle))
    can_act = principal.department in (*ACTORS, D.admin)
    return listing.respond(
        BLACKLIST,
        stmt,
        principal,
        lambda state: render_template(
            "environment/blacklist.html",
            state=state,
            can_act=can_act,
            colors={k: v for k, v in PLATE_COLOR_ZH.items() if k != "unknown"},
            kinds=KIND_ZH,
            release_kinds=RELEASE_KIND_ZH,
        ),
    )


@bp.post("/")
@page_access(*ACTORS)
@refused_redraws(blacklist_page, "未列入黑名单", FIELD_LABELS)
def list_by_hand() -> Any:
    principal = current_principal()
    assert principal is not None
    form = request.form
    plate = (form.get("plate") or "").strip()
    values = {
        "plate": normalize_plate(plate) if plate else None,
        "plate_color": form.get("plate_color") or None,
        "reason": (form.get("reason") or "").strip(),
    }
    entry = services.list_manually(parse_form(ManualListing, values, FIELD_LABELS), actor=principal)
    flash(f"已列入黑名单：{entry.plate}（{PLATE_COLOR_ZH.get(entry.plate_color or '', '')}）", "info")
    return redirect(url_for("blacklist_pages.blacklist_page"), 303)


@bp.post("/<int:entry_id>/release")
@page_access(*ACTORS)
@refused_redraws(blacklist_page, "未解除", FIELD_LABELS)
def release(entry_id: int) -> Any:
    principal = current_principal()
    assert principal is not None
    data = parse_form(Release, {"reason": (request.form.get("reason") or "").strip()}, FIELD_LABELS)
    entry = services.release_manually(entry_id, data, actor=principal)
    flash(f"已解除黑名单：{entry.plate}，其案件随之结案", "info")
    return redirect(url_for("blacklist_pages.blacklist_page"), 303)
