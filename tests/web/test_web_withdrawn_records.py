"""The pages listing device records show a withdrawn record as withdrawn, with the reason and the time."""

from __future__ import annotations

from datetime import timedelta

from tests.blacklist.conftest import beijing_today
from tests.blacklist.test_withdraw_every_record import REASON, _period, _post


def test_the_pages_show_withdrawn_records(app, client, auth_headers, station_factory, make_user):
    env = auth_headers("environment")
    day = beijing_today() - timedelta(days=3)
    when = f"{day.isoformat()}T10:00:00+08:00"
    for source in ("remote_sensing_pass", "black_smoke_capture"):
        station, _, _ = _post(client, auth_headers, station_factory, source, "晋E20002", when)
        r = client.post(
            "/api/v1/evidence-withdrawals", json={"station": station, **_period(day), "reason": REASON}, headers=env
        )
        assert r.status_code == 201
    username, password = make_user("withdrawal-viewer", "environment")
    session = app.test_client()
    session.post("/login", data={"username": username, "password": password})
    for page in ("/ops/inspections/passes", "/ops/inspections/black-smoke"):
        html = session.get(page).get_data(as_text=True)
        assert "已撤回" in html and REASON in html, page
