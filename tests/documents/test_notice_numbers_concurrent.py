"""Document numbers under concurrency (#30): 20 notices issued at once on PostgreSQL take the numbers
1..20 of their unit, kind and year, each once, none skipped. Real threads, each with its own connection."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import unquote

import pytest

from tests.blacklist.conftest import beijing_today
from vehicle_enforce.inspections import examples as ex

pytestmark = pytest.mark.commits

PARALLEL = 20


@pytest.fixture
def pg_only(backend: Any) -> None:
    if backend.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")


def test_twenty_concurrent_issues_take_numbers_one_to_twenty(pg_only, app, client, auth_headers, station_factory):
    station_factory("JC-RD-01", "roadside")
    headers = auth_headers("environment")
    station = auth_headers("station", station="JC-RD-01")
    ids = []
    for i in range(PARALLEL):
        body = {**ex.ROADSIDE_TEST_IN, "report_number": f"RACE-{i}", "plate": f"晋E{50000 + i}"}
        r = client.post("/api/v1/roadside-tests", json=body, headers=station)
        assert r.status_code == 201, r.get_json()
        ids.append(r.get_json()["id"])
    # The same subject printed twice at once as well: one notice, one number.
    targets = [*ids, ids[0]]
    barrier = threading.Barrier(len(targets))
    answers: list[tuple[int, int, str, str]] = []
    errors: list[BaseException] = []

    def run(test_id: int) -> None:
        try:
            own = app.test_client()
            barrier.wait()
            res = own.get(f"/api/v1/roadside-tests/{test_id}/notice.pdf", headers=headers)
            answers.append(
                (
                    test_id,
                    res.status_code,
                    unquote(res.headers.get("X-Notice-Number", "")),
                    res.headers.get("X-Notice-Id", ""),
                )
            )
        except BaseException as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(status == 200 for _, status, _, _ in answers), answers
    year = beijing_today().year
    numbers = {test_id: number for test_id, _, number, _ in answers}
    assert sorted(numbers.values(), key=len) and set(numbers.values()) == {
        f"泽环劝〔{year}〕{n}号" for n in range(1, PARALLEL + 1)
    }, sorted(numbers.values())
    twice = [(number, notice_id) for test_id, _, number, notice_id in answers if test_id == ids[0]]
    assert len(twice) == 2 and twice[0] == twice[1], twice

    from sqlalchemy import func, select

    from vehicle_enforce.documents.models import IssuedNotice, NoticeSequence
    from vehicle_enforce.extensions import db

    assert db.session.scalar(select(func.count()).select_from(IssuedNotice)) == PARALLEL
    assert db.session.scalar(select(NoticeSequence.last_number)) == PARALLEL
