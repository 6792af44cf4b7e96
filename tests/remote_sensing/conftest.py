"""Fixtures for the pure remote_sensing library: shared sample files, rules and a valid base pass."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from remote_sensing import PassRecord, RuleSet, load_rules
from remote_sensing.types import SHANGHAI

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def rs_data_dir() -> Path:
    """Return the shared remote-sensing sample directory (VE_SHARED_DIR overrides ../shared)."""
    path = Path(os.environ.get("VE_SHARED_DIR", REPO_ROOT.parent / "shared")) / "data/remote_sensing"
    if not path.is_dir():
        pytest.fail(f"shared remote-sensing samples not found at {path}")
    return path


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture
def valid_pass() -> PassRecord:
    """A clean pass well inside every validity range and under every limit."""
    return PassRecord(
        station="JC-RS-01",
        record_id="T1",
        measured_at=datetime(2019, 11, 5, 10, 0, tzinfo=SHANGHAI),
        lane="1",
        plate="晋E12345",
        plate_color="yellow",
        fuel="diesel",
        speed_kmh=50.0,
        accel_ms2=0.5,
        vsp_kw_t=10.0,
        wind_ms=2.0,
        co2_pct=5.0,
        no_ppm=500.0,
        opacity_pct=10.0,
        ringelmann=0,
        device_valid=True,
        device_verdict="1",
    )
