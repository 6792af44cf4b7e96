"""Accuracy floor on the shared real photos (measured only, never trained on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from plates.reading.evaluate import evaluate_dir

# Floors set from measured results minus a small margin; they may only rise.
EXACT_FLOOR = 0.86  # measured 0.8667 (2026-11-29: fifth recogniser, outline also read when no layout is sure)
COLOR_FLOOR = 0.86  # measured 0.8667 (colour of exact reads only)
PLATE_COLOR_FLOOR = 0.95  # measured 0.95 (colour of each plate's reading, misread or not)
CROPS_EXACT_FLOOR = 0.68  # measured 0.70


@pytest.mark.slow
def test_real_photos_accuracy_floor(plates_dir: Path) -> None:
    assert (plates_dir / "labels.csv").is_file(), f"shared plate set missing at {plates_dir}"
    report = evaluate_dir(plates_dir)
    s = report.summary
    assert s["images"] == 60
    assert s["exact"] >= EXACT_FLOOR, report.mistake_lines()
    assert s["color_accuracy"] >= COLOR_FLOOR, report.mistake_lines()
    assert s["plate_color_accuracy"] >= PLATE_COLOR_FLOOR, report.mistake_lines()
    assert s["char_accuracy"] >= s["exact"]


@pytest.mark.slow
def test_real_crops_accuracy_floor(plates_dir: Path) -> None:
    crops = plates_dir / "crops"
    assert (crops / "labels.csv").is_file(), f"shared crops missing at {crops}"
    s = evaluate_dir(crops).summary
    assert s["images"] == 40
    assert s["exact"] >= CROPS_EXACT_FLOOR
