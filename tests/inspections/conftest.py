"""Fixtures for inspections: a remote-sensing station, registered vehicles and a valid base pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

# 2019-11-05 10:00 in Jincheng: limit b (k 0.7, NOx 900) is in force for GB 3847, HJ 845 for passes.
WHEN = "2019-11-05T10:00:00+08:00"


def _base_pass(**over: Any) -> dict[str, Any]:
    """A valid, passing pass: every validity value mid-range, every pollutant under its limit."""
    data: dict[str, Any] = {
        "station": "JC-RS-01",
        "record_id": "R0001",
        "measured_at": WHEN,
        "lane": "1",
        "plate": "晋E12345",
        "plate_color": "yellow",
        "plate_confidence": 0.95,
        "fuel": "diesel",
        "speed_kmh": 50.0,
        "accel_ms2": 0.5,
        "vsp_kw_t": 10.0,
        "wind_ms": 2.0,
        "temperature_c": 10.0,
        "humidity_pct": 40.0,
        "pressure_kpa": 90.0,
        "co2_pct": 8.0,
        "co_pct": 0.2,
        "hc_ppm": 80.0,
        "no_ppm": 500.0,
        "opacity_pct": 10.0,
        "ringelmann": 0,
        "device_valid": True,
    }
    data.update(over)
    return data


@pytest.fixture
def rs_station(station_factory: Callable[..., Any]) -> Any:
    return station_factory("JC-RS-01", "remote_sensing")


@pytest.fixture
def post_passes(client: Any, auth_headers: Callable[..., dict[str, str]], rs_station: Any) -> Callable[..., Any]:
    """POST passes as the JC-RS-01 station token; returns the response."""

    def post(body: Any, headers: dict[str, str] | None = None) -> Any:
        return client.post(
            "/api/v1/remote-sensing/passes",
            json=body,
            headers=headers or auth_headers("station", station="JC-RS-01"),
        )

    return post


@pytest.fixture
def base_pass() -> Callable[..., dict[str, Any]]:
    """`base_pass(**overrides)`: a valid, passing canonical pass at JC-RS-01 on 2019-11-05."""
    return _base_pass


@pytest.fixture
def operator(app, station_factory):
    """log_in(username) -> a page client of a station account at roadside station JC-RD-01."""
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import UserIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    station_factory("JC-RD-01", "roadside")

    def log_in(username="luce"):
        services.create_user(
            UserIn(username=username, password="page-pass-1", department=Department("station"), station="JC-RD-01"),
            actor=SYSTEM,
        )
        transaction.commit()
        client = app.test_client()
        assert client.post("/login", data={"username": username, "password": "page-pass-1"}).status_code == 302
        return client

    return log_in
