"""Fixtures for the plate reader tests: synthetic photos rendered at test time."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tools.plates_training.synth import PlateSpec, render_scene

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_DIR = Path(os.environ.get("VE_SHARED_DIR", REPO_ROOT.parent / "shared"))
PLATES_DIR = SHARED_DIR / "data" / "plates"


def _make_photo(
    specs: list[PlateSpec], seed: int, widths: list[float] | None = None, max_angle: float = 8.0
) -> tuple[np.ndarray, list[np.ndarray]]:
    """A 960x1280 photo with the plates rendered side by side (mild blur/noise/JPEG)."""
    rng = random.Random(seed)
    return render_scene(specs, rng, plate_widths=widths, augment=False, max_angle=max_angle)


PhotoFactory = Callable[..., tuple[np.ndarray, list[np.ndarray]]]


@pytest.fixture(scope="session")
def make_photo() -> PhotoFactory:
    return _make_photo


@pytest.fixture(scope="session")
def plates_dir() -> Path:
    return PLATES_DIR
