"""Each department's home page counts today's work, and every count equals the rows of the list it
links to: the test follows each card's link and counts the rows there, page by page (下一页).

On the demo county plus records added so that no card counts zero: a case overdue for each
department, a pass exceeding today, a black-smoke capture waiting, a checkpoint hit today, a sampling
plan for this month, and notices in the inboxes.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

from tests.web.test_web_every_page_chinese import demo_county  # noqa: F401  (fixture)

EVERY_CARD = {
    "cases_waiting",
    "cases_overdue",
    "passes_exceeding_today",
    "black_smoke_waiting",
    "reviews_waiting",
    "machines_due",
    "phaseout_behind",
    "unread_notices",
}

#: Each department's demo login and the cards its home page must show.
DEPARTMENTS = {
    "huanbao": EVERY_CARD,
    "jiaojing": {"cases_waiting", "cases_overdue", "hits_today", "unread_notices"},
    "jiaotong": {"cases_waiting", "cases_overdue", "phaseout_behind", "unread_notices"},
    "zhujian": {"machines_due"},
    "bagong": {"machines_due", "phaseout_behind"},
    "zhandian": {"passes_today", "passes_exceeding_today"},  # a remote-sensing station's operator
    "admin": EVERY_CARD,
}


XHTML = "{http://www.w3.org/1999/xhtml}"


def _tree(html: str):
    import tinyhtml5  # the HTML5 parser WeasyPrint ships with (an installed dependency)

    return tinyhtml5.parse(html)


def cards_of(html: str) -> dict[str, tuple[str, int]]:
    """The home page's cards: key → (href, count shown)."""
    return {
        a.get("data-card"): (a.get("href"), int(a.get("data-count")))
        for a in _tree(html).iter(f"{XHTML}a")
        if a.get("data-card")
    }


def rows_of(html: str, within: str | None) -> tuple[int, str | None]:
    """The listed rows (`data-row`) inside the element with id `within` (else <main>), and its 下一页 link."""
    root = _tree(html)
    box = next(e for e in root.iter() if (e.get("id") == within if within else e.tag == f"{XHTML}main"))
    rows = sum(1 for e in box.iter() if e.get("data-row") is not None)
    following = [a.get("href") for a in box.iter(f"{XHTML}a") if "".join(a.itertext()).strip() == "下一页"]
    return rows, (following[0] if following else None)


def count_rows(client, href: str) -> int:
    """Rows of the list at `href`, over all its pages."""
    fragment = urlsplit(href).fragment or None
    url, total, seen = href.split("#")[0], 0, set()
    while url and url not in seen:
        seen.add(url)
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        rows, following = rows_of(r.get_data(as_text=True), fragment)
        total += rows
        url = urljoin(url, following) if following else None
    return total


@pytest.fixture
def busy_day(app, demo_county):  # noqa: F811
    """Today's work on top of the demo, so that every card of every department counts something."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from vehicle_enforce.blacklist.models import HotlistLookup, HotlistRead
    from vehicle_enforce.cases.models import WAITING_FOR, Case
    from vehicle_enforce.cases.notify import notify
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM
    from vehicle_enforce.core.timeutil import now_utc
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import BlackSmokeCapture, RemoteSensingPass, Station
    from vehicle_enforce.nrmm import services as nrmm_services
    from vehicle_enforce.nrmm.schemas import PlanIn

    with app.app_context():
        now = now_utc()
        # The demo's cases all wait for the environment bureau, within time: move one along to each of
        # the police and transport, and make one of each department's overdue.
        detected = db.session.scalars(select(Case).where(Case.state == "detected").order_by(Case.id).limit(5)).all()
        assert len(detected) == 5, "the demo opens cases"
        detected[1].state, detected[2].state, detected[3].state = "confirmed", "repair_ordered", "penalized"
        for department, case in (("environment", detected[0]), ("police", detected[1]), ("transport", detected[2])):
            assert WAITING_FOR[case.state] == department
            case.due_at = now - timedelta(days=2)
            notify(case.id, "department", department, f"case_{case.state}", f"测试通知：案件 {case.id} 已逾期")
        # A pass exceeding today at the demo's remote-sensing station, a capture waiting for review.
        station = db.session.scalar(select(Station.id).where(Station.code == "JC-RS-01"))  # zhandian's
        latest = db.session.scalar(
            select(RemoteSensingPass)
            .where(RemoteSensingPass.verdict == "exceed", RemoteSensingPass.station_id == station)
            .order_by(RemoteSensingPass.id.desc())
        )
        assert latest is not None
        db.session.execute(
            update(RemoteSensingPass)
            .where(RemoteSensingPass.id == latest.id)
            .values(measured_at=now - timedelta(minutes=5))
        )
        db.session.execute(
            update(BlackSmokeCapture)
            .where(BlackSmokeCapture.id.in_(select(BlackSmokeCapture.id).limit(2)))
            .values(review_status="pending")
        )
        # A checkpoint hit today.
        lookup = HotlistLookup(
            actor_kind="user", actor_name="jiaojing", department="police", mode="single", read_count=1, hit_count=1
        )
        db.session.add(lookup)
        db.session.flush()
        read = HotlistRead(lookup_id=lookup.id, lookup_at=now, plate="晋E12345", plate_color="yellow", seen_at=now)
        db.session.add(read)
        read.hit = "exact"
        # This month's sampling plan (the demo's may be of another month).
        if nrmm_services.plan_of_month(nrmm_services.this_month(), actor=SYSTEM) is None:
            nrmm_services.create_plan(PlanIn(month=nrmm_services.this_month()), actor=SYSTEM)
        transaction.commit()


def _login(app, username: str):
    from vehicle_enforce.demo import DEMO_PASSWORD

    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return client


@pytest.mark.parametrize("username", sorted(DEPARTMENTS))
def test_every_dashboard_count_equals_the_rows_of_its_list(app, busy_day, username):
    client = _login(app, username)
    cards = cards_of(client.get("/").get_data(as_text=True))
    assert set(cards) == DEPARTMENTS[username], cards
    counted = {key: count_rows(client, href) for key, (href, _) in cards.items()}
    shown = {key: n for key, (_, n) in cards.items()}
    assert counted == shown, f"{username}: the cards say {shown}, the lists have {counted}"
    assert any(shown.values()), f"{username}: every card counts zero: the test would prove nothing"
