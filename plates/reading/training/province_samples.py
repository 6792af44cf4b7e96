"""Training samples for the province classifier: the province character of a synthetic plate,
cut from the reader's single-row layout warped at twice the recogniser's resolution.

The geometry follows ``samples.make_sample`` (same plates, scenes, detector jitter); the window
is centred on the true character centre plus noise standing in for the CTC alignment the
reader centres it on at run time.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading.charset import PROVINCES
from plates.reading.province import province_window
from plates.reading.training.samples import low_res, place_sample
from plates.reading.training.synth import PlateSpec, _layout, random_plate_text

U8 = NDArray[np.uint8]
_SINGLE_COLORS = (
    ("blue", 0.55),
    ("yellow", 0.15),
    ("green", 0.14),
    ("yellow_green", 0.06),
    ("white", 0.06),
    ("black", 0.04),
)


def _spec(rng: random.Random) -> PlateSpec:
    """A random single-row plate (the classifier reads single-row plates only)."""
    r = rng.random()
    color = _SINGLE_COLORS[-1][0]
    for name, share in _SINGLE_COLORS:
        if r < share:
            color = name
            break
        r -= share
    return PlateSpec(random_plate_text(rng, color), color, False)


def make_province_sample(rng: random.Random, center_noise: float = 0.025) -> tuple[U8, int, float]:
    """(window, province index, true centre in layout widths) of one synthetic single-row plate."""
    spec = _spec(rng)
    canvas, quad, homography, scale = place_sample(spec, rng)
    _, _, boxes = _layout(spec)
    bx, by, bw, bh = boxes[0]
    centre = np.array([[[(bx + bw / 2) * scale, (by + bh / 2) * scale]]], np.float32)
    unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    in_scene = cv2.perspectiveTransform(centre, homography)
    x = float(cv2.perspectiveTransform(in_scene, cv2.getPerspectiveTransform(quad, unit))[0, 0, 0])
    window = province_window(canvas, quad, x + rng.gauss(0, center_noise))
    if rng.random() < 0.25:
        window = low_res(window, rng)
    return window, PROVINCES.index(spec.text[0]), x


def generate(seed: int, count: int) -> tuple[U8, NDArray[np.int64]]:
    """``count`` samples from ``seed``: (N, WIN_H, WIN_W, 3) windows and their province indices."""
    cv2.setNumThreads(1)
    rng = random.Random(seed)
    windows, labels = [], []
    for _ in range(count):
        w, k, _ = make_province_sample(rng)
        windows.append(w)
        labels.append(k)
    return np.stack(windows), np.array(labels, np.int64)
