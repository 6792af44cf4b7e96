"""Each department's home page: today's work as counts, each linking to the list it counts.

One function per card. Each counts with the very query the linked list draws its rows from, scoped to
the caller the same way: the lists of core/listing (cases, passes) through their own statement and
filter spec with the filters of the link, the others through the query function their page uses
(`open_reviews_query`, `pending_captures_query`, `plan_items`...), so a count and the rows behind
its link cannot drift apart (tests/web/test_web_dashboards.py follows every link and counts the rows,
page by page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from sqlalchemy import Select, func, select

from vehicle_enforce.auth import menu
from vehicle_enforce.auth.models import Department as D
from vehicle_enforce.cases import views as case_views
from vehicle_enforce.core import listing
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.dashboards import inbox
from vehicle_enforce.enforcement import views as enforcement_views
from vehicle_enforce.extensions import db
from vehicle_enforce.inspections import queries as inspection_queries
from vehicle_enforce.inspections import views as inspection_views
from vehicle_enforce.nrmm import services as nrmm_services
from vehicle_enforce.phaseout import eligibility
from vehicle_enforce.phaseout import progress as phaseout_progress
from vehicle_enforce.reviews import services as review_services
from vehicle_enforce.reviews import views as review_views


@dataclass(frozen=True)
class Card:
    key: str
    label: str  # what is counted, as the page says it
    unit: str  # 件, 条, 台, 个
    href: str  # the list of exactly the rows counted
    count: int
    alert: bool = False  # a count that should be zero (overdue, behind plan): marked when it is not


def _count(stmt: Select[*tuple[Any, ...]]) -> int:
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def _listed(
    spec: listing.ListSpec, path: str, base: Select[*tuple[Any, ...]], args: dict[str, str], actor: Actor
) -> tuple[str, int]:
    """The address of a list (core/listing) with these filters, and how many rows it lists: the list's own
    filters applied to the list's own statement, as `listing.respond` does for the page."""
    n = listing.count_matching(spec, cast(Select[Any], base), args, actor)
    return (f"{path}?{urlencode(args)}" if args else path), n


def cases_waiting(actor: Actor) -> Card:
    href, n = _listed(case_views.CASES, "/ops/cases/", case_views.board_statement(actor), {"mine": "1"}, actor)
    return Card("cases_waiting", "待本部门办理的案件", "件", href, n)


def cases_overdue(actor: Actor) -> Card:
    args = {"mine": "1", "overdue": "1"}
    href, n = _listed(case_views.CASES, "/ops/cases/", case_views.board_statement(actor), args, actor)
    return Card("cases_overdue", "逾期未办的案件", "件", href, n, alert=True)


def passes_exceeding_today(actor: Actor) -> Card:
    base = inspection_queries.passes_query(None, actor=actor)
    href, n = _listed(
        inspection_views.PASSES, "/ops/inspections/passes", base, {"verdict": "exceed", "date": "today"}, actor
    )
    return Card("passes_exceeding_today", "今日遥感超标", "条", href, n)


def passes_today(actor: Actor) -> Card:
    base = inspection_queries.passes_query(None, actor=actor)
    href, n = _listed(inspection_views.PASSES, "/ops/inspections/passes", base, {"date": "today"}, actor)
    return Card("passes_today", "今日遥感检测", "条", href, n)


def black_smoke_waiting(actor: Actor) -> Card:
    n = _count(inspection_queries.pending_captures_query(actor))
    return Card("black_smoke_waiting", "待审核的黑烟抓拍", "条", "/ops/inspections/black-smoke", n)


def reviews_waiting(actor: Actor) -> Card:
    href, n = _listed(review_views.REVIEWS, "/ops/match-reviews/", review_services.open_reviews_query(), {}, actor)
    return Card("reviews_waiting", "待人工核对的号牌", "条", href, n)


def hits_today(actor: Actor) -> Card:
    href, n = _listed(
        enforcement_views.HITS, "/ops/police/hits", enforcement_views.hits_statement(), {"date": "today"}, actor
    )
    return Card("hits_today", "今日卡口命中", "次", href, n)


def machines_due(actor: Actor) -> Card:
    n = len(nrmm_services.plan_items(nrmm_services.this_month(), actor=actor, status="pending"))
    return Card("machines_due", "本月待抽测的机械", "台", "/ops/nrmm/?item_status=pending#plan", n)


def phaseout_behind(actor: Actor) -> Card:
    rows = phaseout_progress.for_caller(eligibility.today_local(), actor)["townships"]
    n = len(phaseout_progress.behind_plan(rows))
    return Card("phaseout_behind", "淘汰进度滞后的乡镇", "个", "/ops/phaseout/?behind=1", n, alert=True)


def unread_notices(actor: Actor) -> Card:
    return Card("unread_notices", "未读通知", "条", "/ops/inbox/?unread=1", inbox.unread_count(actor))


#: The environment bureau's cards (it follows every kind of work), and the admin's.
EVERY_CARD: list[Callable[[Actor], Card]] = [
    cases_waiting,
    cases_overdue,
    passes_exceeding_today,
    black_smoke_waiting,
    reviews_waiting,
    machines_due,
    phaseout_behind,
    unread_notices,
]

#: The cards of each department's home page, in the order they are shown (a station: by its kind).
CARDS: dict[str, list[Callable[[Actor], Card]]] = {
    D.environment: EVERY_CARD,
    D.police: [cases_waiting, cases_overdue, hits_today, unread_notices],
    D.transport: [cases_waiting, cases_overdue, phaseout_behind, unread_notices],
    D.housing: [machines_due],
    D.township: [machines_due, phaseout_behind],
    D.admin: EVERY_CARD,
}


#: A station account's cards, by the kind of its station (a roadside station's tests are entered, not listed).
STATION_CARDS: dict[str, list[Callable[[Actor], Card]]] = {
    "remote_sensing": [passes_today, passes_exceeding_today],
}


def cards(actor: Actor) -> list[Card]:
    """The caller's home-page cards with today's counts."""
    if actor.department == D.station:
        return [card(actor) for card in STATION_CARDS.get(menu.station_kind(actor.station_id), [])]
    return [card(actor) for card in CARDS.get(actor.department or "", [])]
