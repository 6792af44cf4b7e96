"""Passes across month partitions: a far-off time lands in the DEFAULT partition, and a re-sent record is
a duplicate or a conflict whatever month it falls in (the key table, #29)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from vehicle_enforce.core import partitions


def _connection() -> Any:
    from vehicle_enforce.extensions import db

    return db.session.connection()


def _where(record_id: str) -> str:
    """The partition holding the pass `record_id`."""
    return str(
        _connection()
        .execute(
            sa.text("SELECT tableoid::regclass::text FROM remote_sensing_passes WHERE record_id = :r"), {"r": record_id}
        )
        .scalar_one()
    )


def test_default_partition_takes_a_far_off_time_and_hands_it_to_its_month(
    app: Any, backend: Any, post_passes: Any, base_pass: Any
) -> None:
    if backend.name != "postgresql":
        pytest.skip("SQLite tables are not partitioned")
    # No partition exists for 2019 (the migration made this month's and the next ones): a pass measured
    # then is stored, in the DEFAULT partition, not refused.
    answer = post_passes({"passes": [base_pass(record_id="OLD-1")]})
    assert answer.status_code == 201, answer.get_json()
    assert _where("OLD-1") == "remote_sensing_passes_default"
    # Creating November 2019 moves the row into it.
    assert partitions.create_month(_connection(), "remote_sensing_passes", date(2019, 11, 1))
    assert _where("OLD-1") == "remote_sensing_passes_p201911"
    again = post_passes({"passes": [base_pass(record_id="OLD-1")]})
    assert again.status_code == 200 and again.get_json()["results"][0]["status"] == "duplicate"


@pytest.mark.sqlite
def test_duplicates_and_conflicts_across_months(app: Any, post_passes: Any, base_pass: Any) -> None:
    """A re-sent record is a duplicate, or a conflict when its content differs, whichever month it says."""
    if _connection().dialect.name == "postgresql":
        partitions.create_month(_connection(), "remote_sensing_passes", date(2019, 11, 1))
        partitions.create_month(_connection(), "remote_sensing_passes", date(2019, 12, 1))
    first = post_passes({"passes": [base_pass(record_id="M-1")]})
    assert first.status_code == 201
    stored_id = first.get_json()["results"][0]["id"]
    same = post_passes({"passes": [base_pass(record_id="M-1")]}).get_json()["results"][0]
    assert same["status"] == "duplicate" and same["id"] == stored_id
    # The same record id with a time in another month (another partition): other content, a conflict.
    moved = post_passes(base_pass(record_id="M-1", measured_at="2019-12-05T10:00:00+08:00"))
    assert moved.status_code == 409, moved.get_json()
    batch = post_passes(
        {
            "passes": [
                base_pass(record_id="M-1", measured_at="2019-12-05T10:00:00+08:00"),
                base_pass(record_id="M-1"),
                base_pass(record_id="M-2", measured_at="2019-12-06T10:00:00+08:00"),
            ]
        }
    ).get_json()["results"]
    assert [r["status"] for r in batch] == ["conflict", "duplicate", "created"]
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import PassKey, RemoteSensingPass

    assert db.session.query(RemoteSensingPass).filter_by(record_id="M-1").count() == 1
    assert db.session.query(PassKey).count() == db.session.query(RemoteSensingPass).count()
    if _connection().dialect.name == "postgresql":
        assert _where("M-2") == "remote_sensing_passes_p201912"


@pytest.mark.sqlite
def test_forgetting_a_months_keys_after_its_passes_are_dropped(app: Any, post_passes: Any, base_pass: Any) -> None:
    from vehicle_enforce.extensions import db
    from vehicle_enforce.inspections.models import PassKey

    post_passes(
        {"passes": [base_pass(record_id="K-1"), base_pass(record_id="K-2", measured_at="2019-12-05T10:00:00+08:00")]}
    )
    assert partitions.forget_pass_keys(_connection(), date(2019, 11, 1)) == 1
    assert sorted(db.session.scalars(sa.select(PassKey.record_id))) == ["K-2"]
