"""Candidate detection on rendered scenes: the hard cases of real photos, built at test time."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from plates.reading.detect import Candidate, _suppress, find_candidates, refine_quad, row_transitions
from tools.plates_training.synth import PlateSpec, place_plate, render_plate


def _box_iou(quad: np.ndarray, truth: np.ndarray) -> float:
    (a1, b1), (a2, b2) = quad.min(axis=0), quad.max(axis=0)
    (x1, y1), (x2, y2) = truth.min(axis=0), truth.max(axis=0)
    inter = max(0.0, min(a2, x2) - max(a1, x1)) * max(0.0, min(b2, y2) - max(b1, y1))
    return float(inter / ((a2 - a1) * (b2 - b1) + (x2 - x1) * (y2 - y1) - inter))


def _scene(
    spec: PlateSpec, body_bgr: tuple[int, int, int], seed: int, width: float = 110.0
) -> tuple[np.ndarray, np.ndarray]:
    """A plate on a car body of the given colour, with lamps and a bumper line next to it."""
    rng = random.Random(seed)
    canvas = np.full((720, 960, 3), 170, np.uint8)
    cv2.rectangle(canvas, (250, 250), (710, 520), body_bgr, -1)
    cv2.rectangle(canvas, (270, 300), (380, 360), (40, 40, 200), -1)  # tail lamps
    cv2.rectangle(canvas, (580, 300), (690, 360), (40, 40, 200), -1)
    cv2.line(canvas, (250, 470), (710, 470), (30, 30, 30), 3)  # bumper
    plate, corners = render_plate(spec, rng, scale=max(1.0, width / 440))
    quad = place_plate(plate, corners, canvas, rng, width, (480.0, 400.0), max_angle=3.0, max_persp=0.02)
    noise = np.random.default_rng(seed).normal(0, 3, canvas.shape)
    return np.clip(canvas + noise, 0, 255).astype(np.uint8), quad


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_blue_plate_on_a_blue_car_is_a_candidate(seed: int) -> None:
    img, truth = _scene(PlateSpec("晋E12345", "blue"), (200, 110, 20), seed)
    assert max(_box_iou(c.quad, truth) for c in find_candidates(img)) >= 0.5


@pytest.mark.parametrize(
    ("spec", "body"),
    [(PlateSpec("晋A1234警", "white"), (235, 235, 235)), (PlateSpec("粤Z1A23港", "black"), (25, 25, 25))],
)
def test_plate_without_plate_colour_is_found_by_its_characters(spec: PlateSpec, body: tuple[int, int, int]) -> None:
    img, truth = _scene(spec, body, seed=4)
    assert max(_box_iou(c.quad, truth) for c in find_candidates(img)) >= 0.5


def test_text_ranks_above_a_plain_plate_shaped_patch() -> None:
    img, truth = _scene(PlateSpec("晋E12345", "blue"), (170, 170, 170), seed=5)
    decoy = np.array([[60, 600], [170, 600], [170, 635], [60, 635]], np.float32)
    cv2.fillPoly(img, [decoy.astype(np.int32)], (200, 110, 20))
    cands = find_candidates(img)
    rank = {
        name: next(i for i, c in enumerate(cands) if _box_iou(c.quad, q) >= 0.5)
        for name, q in (("plate", truth), ("decoy", decoy))
    }
    assert rank["plate"] < rank["decoy"]


def test_at_most_max_candidates_and_no_failure_on_tiny_or_flat_images() -> None:
    rng = np.random.default_rng(0)
    for shape in [(1, 1, 3), (12, 40, 3), (24, 94, 3), (400, 3000, 3)]:
        assert find_candidates(rng.integers(0, 255, shape, dtype=np.uint8)) is not None
        assert find_candidates(np.full(shape, 128, np.uint8)) == []
    img, _ = _scene(PlateSpec("晋E12345", "blue"), (200, 110, 20), seed=6)
    assert len(find_candidates(img, max_candidates=5)) <= 5


def _tilted_scene(spec: PlateSpec, body_bgr: tuple[int, int, int], angle: float) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(5)
    canvas = np.full((600, 800, 3), body_bgr, np.uint8)
    plate, corners = render_plate(spec, rng, scale=0.5)
    quad = place_plate(plate, corners, canvas, rng, 220.0, (400.0, 300.0), max_angle=0.0, max_persp=0.0)
    rot = cv2.getRotationMatrix2D((400.0, 300.0), angle, 1.0)
    canvas = cv2.warpAffine(canvas, rot, (800, 600), borderMode=cv2.BORDER_REPLICATE)
    truth = cv2.transform(quad.reshape(-1, 1, 2), rot).reshape(4, 2)
    return canvas, truth.astype(np.float32)


@pytest.mark.parametrize(
    ("spec", "body"),
    [(PlateSpec("晋E12345", "blue"), (200, 200, 205)), (PlateSpec("晋B5C203", "yellow"), (60, 60, 60))],
)
@pytest.mark.parametrize("angle", [0.0, 9.0, -14.0])
@pytest.mark.parametrize("trace_height", [32.0, 96.0])
def test_refine_traces_the_plate_around_a_rough_box(
    spec: PlateSpec, body: tuple[int, int, int], angle: float, trace_height: float
) -> None:
    img, truth = _tilted_scene(spec, body, angle)
    # an edge region's box: axis-aligned, over the characters only, cut short at the left
    (x1, y1), (x2, y2) = truth.min(axis=0), truth.max(axis=0)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    rough = np.array([[cx - 80, cy - 18], [cx + 105, cy - 18], [cx + 105, cy + 18], [cx - 80, cy + 18]], np.float32)
    outline = refine_quad(img, rough, trace_height)
    assert outline is not None
    assert np.abs(outline - truth).max() < 8.0, (outline, truth)


def test_refine_gives_up_where_no_plate_coloured_region_is() -> None:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    assert refine_quad(noise, np.array([[100, 130], [300, 130], [300, 170], [100, 170]], np.float32)) is None


def test_suppression_keeps_the_first_of_near_identical_candidates_however_far_apart_in_rank() -> None:
    """600 candidates: 300 regions on a grid, then each again shifted by a pixel (ranked 300 later,
    past the comparison block of 256 rows), then a region half the size on each: only the
    duplicates go."""
    grid = [(40.0 + 60 * (i % 20), 30.0 + 40 * (i // 20)) for i in range(300)]

    def box(x: float, y: float, w: float, h: float) -> Candidate:
        return Candidate(np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32), "edge", 0.0)

    regions = [box(x, y, 50, 16) for x, y in grid]
    shifted = [box(x + 1, y + 1, 50, 16) for x, y in grid]
    smaller = [box(x, y, 25, 8) for x, y in grid]
    kept = _suppress(regions + shifted + smaller)
    assert len(kept) == 600
    assert all(a is b for a, b in zip(kept, regions + smaller, strict=True))


def _stroke_rows(ground: int, ink: int, noise: float, seed: int = 0) -> np.ndarray:
    """A 32 x 128 grey crop: seven characters' vertical strokes on a ground, plus noise."""
    crop = np.full((32, 128), float(ground), np.float32)
    for x in range(8, 116, 16):
        crop[6:26, x : x + 4] = ink
    crop += np.random.default_rng(seed).normal(0, noise, crop.shape)
    return np.clip(crop, 0, 255).astype(np.uint8)


def test_a_dark_plates_strokes_count_as_text_and_a_flat_dark_band_does_not() -> None:
    # a blue plate at night: grey 14 with characters at 32 (band std 7.6, just under the
    # fixed bar of 8 that used to reject it as uniform)
    dark = _stroke_rows(14, 32, 1.0)
    band = dark[8:24].astype(np.float32)
    assert 6 < band.std() < 8 and band.mean() < 30
    assert row_transitions(dark) >= 6
    assert row_transitions(_stroke_rows(14, 14, 2.0)) == 0  # no strokes: noise on a dark ground
    assert row_transitions(_stroke_rows(200, 205, 2.0)) == 0  # a bright flat band, as before
