"""The change feed under concurrent writers: a reader paging by cursor never passes a row that commits later.

The feed's ordering promise (`cases/feed.py`): a row's id is drawn (at commit, under the feed's lock) only
after every earlier feed writer has committed or rolled back, so a cursor a reader has passed is never
undercut by a late commit. These
tests check it with real concurrency on PostgreSQL, and check that only change-feed writers (listings,
releases, case actions) take the lock, so passes and every other writer never wait on it.
"""

from __future__ import annotations

import random
import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import event, select, text

from tests.blacklist.conftest import NOV

WRITERS = 6
TRANSACTIONS_PER_WRITER = 15


def _feed_lock_held() -> bool:
    """Whether this session's backend holds the change feed's advisory lock now (pg_locks)."""
    from vehicle_enforce.cases import feed
    from vehicle_enforce.extensions import db

    # A bigint advisory key shows as classid = high 32 bits, objid = low 32 bits, objsubid = 1.
    held = db.session.execute(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            " AND granted AND classid = :high AND objid = :low AND objsubid = 1"
        ),
        {"high": feed.FEED_LOCK >> 32, "low": feed.FEED_LOCK & 0xFFFFFFFF},
    ).scalar()
    return bool(held)


@pytest.mark.commits
@pytest.mark.slow
def test_concurrent_writers_never_commit_below_a_cursor_a_reader_passed(app, backend):
    """Writers commit feed rows with random delays (some roll back, some lose a savepoint) while a reader
    pages by cursor; afterwards every row at or below a cursor the reader reached was seen by it."""
    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers: the id order is the commit order")
    from vehicle_enforce import signals
    from vehicle_enforce.cases import feed
    from vehicle_enforce.cases.models import ChangeFeedItem
    from vehicle_enforce.extensions import db

    rng = random.Random(29)  # reproducible delays; the interleaving is still the scheduler's
    plans = [
        [
            {
                "kind": rng.choice(sorted(feed.FEED_KINDS)),
                "rows": rng.randint(1, 3),
                # Sleep between drawing the ids and committing: the window a late commit needs.
                "hold": rng.uniform(0, 0.02),  # before the commit starts: no lock held yet
                "pause": rng.uniform(0, 0.01),
                "outcome": rng.choices(["commit", "rollback", "lost_savepoint"], weights=[8, 1, 1])[0],
            }
            for _ in range(TRANSACTIONS_PER_WRITER)
        ]
        for _ in range(WRITERS)
    ]
    errors: list[BaseException] = []
    committed: list[int] = []  # ids of rows whose transaction committed, as the writers report them
    committed_lock = threading.Lock()
    writers_done = threading.Event()

    def write(plan: list[dict[str, Any]]) -> None:
        import time

        try:
            with app.app_context():
                for step in plan:
                    if step["outcome"] == "lost_savepoint":
                        # A savepoint that wrote feed rows and rolled back: the lock it took goes with it,
                        # and the rows written after it must take it again.
                        nested = db.session.begin_nested()
                        signals.send_record("case_action", f"lost-{uuid.uuid4().hex}", {"lost": True})
                        nested.rollback()
                    names = [f"w-{uuid.uuid4().hex}" for _ in range(step["rows"])]
                    signals.send_records(step["kind"], [(name, {"n": i}, None) for i, name in enumerate(names)])
                    time.sleep(step["hold"])
                    if step["outcome"] == "rollback":
                        db.session.rollback()
                    else:
                        db.session.commit()  # the feed rows are written here, under the lock
                        ids = list(
                            db.session.scalars(select(ChangeFeedItem.id).where(ChangeFeedItem.object_id.in_(names)))
                        )
                        db.session.rollback()
                        with committed_lock:
                            committed.extend(ids)
                    time.sleep(step["pause"])
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    seen: list[int] = []
    reached = 0  # the highest cursor the reader has been given while writers were running

    def page(cursor: str | None, limit: int) -> dict[str, Any]:
        with app.app_context():
            answer = feed.read(cursor, limit)
            db.session.remove()
        return answer

    def read() -> None:
        nonlocal reached
        reader_rng = random.Random(7)
        cursor = None
        try:
            while True:
                finished = writers_done.is_set()
                answer = page(cursor, reader_rng.randint(1, 7))
                seen.extend(c["id"] for c in answer["changes"])
                cursor = answer["next_cursor"]
                reached = max(reached, feed.decode(cursor))
                if finished and not answer["changes"]:
                    return
        except BaseException as exc:
            errors.append(exc)

    # The dangerous window is between drawing the ids (the feed's insert, last before the commit) and the
    # commit itself: hold it open a random while, as other work at commit would (registered after the
    # app's hooks, this runs after the feed's insert).
    from sqlalchemy.orm import Session

    window = random.Random(3)

    def slow_commit(_session: Any) -> None:
        import time

        time.sleep(window.uniform(0, 0.02))

    threads = [threading.Thread(target=write, args=(plan,)) for plan in plans]
    reader = threading.Thread(target=read)
    event.listen(Session, "before_commit", slow_commit)
    try:
        reader.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        writers_done.set()
        reader.join(timeout=120)
    finally:
        event.remove(Session, "before_commit", slow_commit)
    assert not errors, errors
    assert not reader.is_alive() and not any(t.is_alive() for t in threads)

    # Later, every committed row at or below any cursor the reader was given must be one it saw: a row
    # that committed after the reader passed its id would be missing from `seen`.
    everything = list(db.session.scalars(select(ChangeFeedItem.id).order_by(ChangeFeedItem.id)))
    skipped = sorted(set(everything) - set(seen))
    assert skipped == [], f"rows committed below a cursor the reader had passed: {skipped}"
    assert seen == sorted(set(seen)), "the reader saw a row twice or out of order"
    assert sorted(committed) == everything  # nothing rolled back (nor a lost savepoint) is on the feed
    assert reached == everything[-1]
    # Re-reading from the last cursor finds nothing new, and paging from the start returns the same rows.
    assert feed.read(feed.encode(reached))["changes"] == []
    expected_rows = sum(s["rows"] for plan in plans for s in plan if s["outcome"] != "rollback")
    assert len(everything) == expected_rows


def test_only_change_feed_writers_take_the_feed_lock(backend, vehicle, post_pass, client, auth_headers):
    """A pass that lists nobody commits without the lock; the listing (a feed writer) takes it."""
    if backend.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite serialises writers")
    from sqlalchemy.orm import Session

    from vehicle_enforce.extensions import db

    held_at_commit: list[bool] = []

    def remember(session: Any) -> None:
        held_at_commit.append(_feed_lock_held())

    vehicle("晋E12345")
    vehicle("晋E67890")
    event.listen(Session, "before_commit", remember)
    try:
        # Passes of a clean vehicle and a first exceeding pass: stored, judged, exported, no listing.
        post_pass("晋E67890", f"{NOV}-01T10:00:00+08:00", exceed=False)
        post_pass("晋E12345", f"{NOV}-01T10:00:00+08:00")
        before_listing = list(held_at_commit)
        # The test's transaction holds what it takes until the test ends: so the listing comes last.
        post_pass("晋E12345", f"{NOV}-02T10:00:00+08:00")  # the second exceeding pass lists the vehicle
    finally:
        event.remove(Session, "before_commit", remember)
    assert before_listing and not any(before_listing), "a writer that writes no feed row took the feed lock"
    assert held_at_commit[-1], "the listing wrote feed rows without the feed lock"
    from vehicle_enforce.cases.models import ChangeFeedItem

    assert {i.kind for i in db.session.scalars(select(ChangeFeedItem))} == {"blacklist_listing", "case_action"}
