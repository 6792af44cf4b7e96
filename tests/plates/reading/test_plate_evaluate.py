"""Perturbed evaluation: the exact share of a labelled set under mild changes to its photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from plates.reading import read_plates
from plates.reading.evaluate import PERTURBATIONS, evaluate_perturbed
from tests.plates.reading.conftest import PhotoFactory
from tools.plates_training.synth import PlateSpec


def test_perturbations_change_a_photo_mildly_and_a_clear_plate_is_still_read(make_photo: PhotoFactory) -> None:
    img, _ = make_photo([PlateSpec("晋E12345", "blue")], seed=21, widths=[260.0])
    h, w = img.shape[:2]
    for name, change in PERTURBATIONS.items():
        out = change(img)
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3, name
        assert 0.75 * h <= out.shape[0] <= 1.15 * h and 0.75 * w <= out.shape[1] <= 1.15 * w, name
        assert out.shape != img.shape or np.any(out != img), f"{name} left the photo unchanged"
        assert [r.plate for r in read_plates(out)] == ["晋E12345"], name


def test_perturbed_evaluation_reports_each_change_and_their_mean(tmp_path: Path, make_photo: PhotoFactory) -> None:
    good, _ = make_photo([PlateSpec("晋E12345", "blue")], seed=31, widths=[260.0])
    assert cv2.imwrite(str(tmp_path / "good.png"), good)
    assert cv2.imwrite(str(tmp_path / "empty.png"), np.full((480, 640, 3), 128, np.uint8))
    (tmp_path / "labels.csv").write_text(
        "file,plate,color\ngood.png,晋E12345,blue\nempty.png,晋A00000,yellow\n", encoding="utf-8"
    )
    shares = evaluate_perturbed(tmp_path)
    assert set(shares) == set(PERTURBATIONS) | {"mean"}
    assert all(shares[name] == 0.5 for name in PERTURBATIONS)
    assert shares["mean"] == 0.5
