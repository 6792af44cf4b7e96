"""The reset after a committing test leaves the database as the migrations seeded it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from tests.conftest import Backend, _empty_pg
from tests.probes import township_row


@pytest.mark.commits
def test_rows_a_committing_test_adds_to_a_seeded_table_are_removed(app: Any, backend: Backend) -> None:
    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db

    assert "townships" in backend.seeded_tables
    seeded = set(db.session.scalars(select(Township.code)))
    db.session.add(township_row("leak01", "残留镇"))
    transaction.commit()
    url = str(db.engine.url.render_as_string(hide_password=False))
    db.session.remove()
    if backend.name == "postgresql":  # SQLite: every committing test works on its own copy of the template
        _empty_pg(backend.template, backend.seeded_tables)
    engine = create_engine(backend.template if backend.name == "postgresql" else url)
    with engine.connect() as conn:
        left = set(conn.execute(text("SELECT code FROM townships")).scalars())
    engine.dispose()
    if backend.name == "postgresql":
        assert left == seeded
    else:
        assert left == seeded | {"leak01"}  # the test's own copy; the template itself is untouched
