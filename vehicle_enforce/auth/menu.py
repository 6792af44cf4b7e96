"""Each department's menu: the one list of its own pages, drawn by base.html on every page (a side menu on
a desktop, a drawer on a phone) and read by the home page.

Add a new page here, under the departments that may open it (its view's `page_access(...)`); the admin
sees every department's pages (`menu_for`). An entry is `MenuItem(href, text)`: an address inside the
site and its Chinese name. `current_href` marks the entry of the page being shown (`aria-current`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from flask import has_request_context, request

from vehicle_enforce.auth.models import Department
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import ServiceError
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections.models import Station


class MenuItem(NamedTuple):
    href: str
    text: str


M = MenuItem

#: A station account's own work, by the kind of its station (I站 and M站 systems post through the API).
STATION_MENUS: dict[str, list[MenuItem]] = {
    "roadside": [M("/ops/inspections/roadside-test", "路检 / 入户抽测录入")],
    "spot_check": [M("/ops/inspections/roadside-test", "路检 / 入户抽测录入")],
    "remote_sensing": [M("/ops/inspections/passes", "本站遥感检测记录")],
}

#: Each department's main pages, in the order its menu shows them (after 首页).
DEPARTMENT_MENUS: dict[str, list[MenuItem]] = {
    "station": [M("/ops/rules/", "现行规则与限值")],
    "police": [
        M("/ops/police/hotlist", "黑名单查询"),
        M("/ops/police/hits", "今日卡口命中"),
        M("/ops/cases/?state=confirmed", "待处罚案件"),
        M("/ops/inspections/roadside-test", "路检录入"),
        M("/ops/alerts/", "重污染天气预警"),
        M("/ops/inbox/", "通知"),
    ],
    "transport": [
        M("/ops/phaseout/", "国三淘汰进度"),
        M("/ops/cases/?mine=1", "维修督办"),
        M("/ops/cases/?state=repair_ordered", "维修中车辆"),
        M("/ops/vehicles/import", "导入车辆数据"),
        M("/ops/alerts/", "重污染天气预警"),
        M("/ops/inbox/", "通知"),
    ],
    "environment": [
        M("/ops/inspections/passes", "遥感检测记录"),
        M("/ops/inspections/black-smoke", "黑烟抓拍审核"),
        M("/ops/match-reviews/", "号牌人工核对"),
        M("/ops/blacklist/", "黑名单"),
        M("/ops/cases/", "案件看板"),
        M("/ops/phaseout/", "国三淘汰进度"),
        M("/ops/nrmm/", "非道路机械登记与抽测计划"),
        M("/ops/exports/", "数据上报传输率"),
        M("/ops/rules/", "规则与限值设置"),
        M("/ops/alerts/", "重污染天气预警"),
        M("/ops/vehicles/import", "导入车辆数据"),
        M("/ops/inspections/roadside-test", "路检录入"),
        M("/ops/inbox/", "通知"),
        M("/api/docs", "接口文档"),
    ],
    "township": [
        M("/ops/nrmm/", "本乡镇非道路机械登记与抽测"),
        M("/ops/phaseout/", "本乡镇国三淘汰进度"),
        M("/ops/alerts/", "重污染天气预警"),
    ],
    "housing": [
        M("/ops/nrmm/", "非道路机械登记与抽测计划"),
        M("/ops/alerts/", "重污染天气预警"),
        M("/api/docs", "接口文档"),
    ],
    # The admin's own pages; `menu_for` adds every department's after them.
    "admin": [
        M("/ops/admin/users", "用户管理"),
        M("/ops/admin/tokens", "接口令牌"),
        M("/ops/admin/audit", "审计日志"),
    ],
}

HOME = M("/", "首页")

#: The order in which the admin's menu takes in the departments' pages (the first name of a page wins).
_ADMIN_ORDER = ("environment", "police", "transport", "housing", "township", "station")


def station_kind(station_id: int | None) -> str:
    station = db.session.get(Station, station_id) if station_id else None
    return station.kind if station else ""


def _unique(items: Iterable[MenuItem]) -> list[MenuItem]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.href not in seen:
            seen.add(item.href)
            kept.append(item)
    return kept


def department_items(principal: Actor | None) -> list[MenuItem]:
    """The department's own pages (without 首页), as its menu and its home page list them."""
    if principal is None or principal.kind != "user" or not principal.department:
        return []
    department = str(principal.department)
    if department == Department.admin:
        every = [item for name in _ADMIN_ORDER for item in DEPARTMENT_MENUS[name]]
        every += [item for kind in STATION_MENUS.values() for item in kind]
        return _unique([*DEPARTMENT_MENUS["admin"], *every])
    items = list(DEPARTMENT_MENUS.get(department, []))
    if department == Department.station:
        items = [*STATION_MENUS.get(station_kind(principal.station_id), []), *items]
    return _unique(items)


def menu_for(principal: Actor | None) -> list[MenuItem]:
    """The menu on every page: 首页 and then the department's pages (nothing for a visitor)."""
    items = department_items(principal)
    return [HOME, *items] if principal is not None and principal.kind == "user" else []


def current_href(items: Sequence[MenuItem], path: str, args: Mapping[str, str]) -> str | None:
    """The entry that stands for the page at `path` with query `args`: the entry naming the same path whose
    query the request carries (the most specific wins), else the longest entry whose path the page sits under
    (a case's detail page is under 案件看板); 首页 only on the home page itself."""
    best: tuple[int, int, str] | None = None
    for item in items:
        parts = urlsplit(item.href)
        wanted = dict(parse_qsl(parts.query))
        if parts.path == "/":
            score = (3, 0) if path == "/" else None
        elif path == parts.path and all(args.get(k) == v for k, v in wanted.items()):
            score = (2, len(wanted))
        elif path.startswith(parts.path.rstrip("/") + "/") and not wanted:
            score = (1, len(parts.path))
        else:
            score = None
        if score is not None and (best is None or score > best[:2]):
            best = (*score, item.href)
    return best[2] if best else None


def menu_context() -> dict[str, Any]:
    """base.html's `menu` and `menu_current` (a context processor: every template gets them). A template
    drawn outside a request (a notice or the monthly report printed by a task or the CLI) has no menu."""
    if not has_request_context():
        return {"menu": [], "menu_current": None}
    try:
        principal = current_principal()
        items = menu_for(principal)
    except ServiceError:  # a bad bearer header on a page: no menu, the page answers its own error
        items = []
    return {"menu": items, "menu_current": current_href(items, request.path, request.args)}
