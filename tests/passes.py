"""The remote-sensing pass body the API tests post: one valid, non-exceeding pass, overridable per field."""

from __future__ import annotations

from typing import Any


def pass_body(record_id: str, measured_at: str, **over: Any) -> dict[str, Any]:
    """A valid pass of 晋E12345 at JC-RS-01 (opacity 10 %, under the limit); `over` replaces or adds fields."""
    body: dict[str, Any] = {
        "station": "JC-RS-01",
        "record_id": record_id,
        "measured_at": measured_at,
        "plate": "晋E12345",
        "plate_color": "yellow",
        "plate_confidence": 0.95,
        "speed_kmh": 50.0,
        "accel_ms2": 0.5,
        "vsp_kw_t": 10.0,
        "wind_ms": 2.0,
        "co2_pct": 8.0,
        "no_ppm": 500.0,
        "opacity_pct": 10.0,
        "ringelmann": 0,
        "device_valid": True,
    }
    body.update(over)
    return body
