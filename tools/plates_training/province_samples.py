"""Training samples for the province classifiers: the province character of a synthetic plate,
cut as the reader cuts it (``province.province_window``).

The geometry follows ``samples.make_sample`` (same plates, scenes, detector jitter). A single-row
window is centred on the true character centre plus noise standing in for the CTC alignment the
reader centres it on at run time. A double-row window (a share ``double_share`` of the samples;
none for the single-row classifier, whose data this reproduces bit for bit) is cut at the
reader's fixed point, ``province.DOUBLE_CENTRE``, where the detector jitter moves the character
as it does at run time.
"""

from __future__ import annotations

import random

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading.charset import PROVINCES
from plates.reading.province import DOUBLE_CENTRE, DOUBLE_LAYOUT, province_window
from tools.plates_training.samples import low_res, place_sample
from tools.plates_training.synth import PlateSpec, _layout, random_plate_text

U8 = NDArray[np.uint8]
_SINGLE_COLORS = (
    ("blue", 0.55),
    ("yellow", 0.15),
    ("green", 0.14),
    ("yellow_green", 0.06),
    ("white", 0.06),
    ("black", 0.04),
)


def _spec(rng: random.Random, double_share: float) -> PlateSpec:
    """A random plate: double-row (yellow) at ``double_share``, else single-row of any colour."""
    if double_share > 0 and rng.random() < double_share:  # share 0 draws nothing: the old stream
        return PlateSpec(random_plate_text(rng, "yellow", True), "yellow", True)
    r = rng.random()
    color = _SINGLE_COLORS[-1][0]
    for name, share in _SINGLE_COLORS:
        if r < share:
            color = name
            break
        r -= share
    return PlateSpec(random_plate_text(rng, color), color, False)


def make_province_sample(
    rng: random.Random, center_noise: float = 0.025, double_share: float = 0.0
) -> tuple[U8, int, float]:
    """(window, province index, true centre in the quad's widths) of one synthetic plate."""
    spec = _spec(rng, double_share)
    canvas, quad, homography, scale = place_sample(spec, rng)
    _, _, boxes = _layout(spec)
    bx, by, bw, bh = boxes[0]
    centre = np.array([[[(bx + bw / 2) * scale, (by + bh / 2) * scale]]], np.float32)
    unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    in_scene = cv2.perspectiveTransform(centre, homography)
    x = float(cv2.perspectiveTransform(in_scene, cv2.getPerspectiveTransform(quad, unit))[0, 0, 0])
    if spec.double:
        window = province_window(canvas, quad, *DOUBLE_CENTRE, layout=DOUBLE_LAYOUT)
    else:
        window = province_window(canvas, quad, x + rng.gauss(0, center_noise))
    if rng.random() < 0.25:
        window = low_res(window, rng)
    return window, PROVINCES.index(spec.text[0]), x


def generate(seed: int, count: int, double_share: float = 0.0) -> tuple[U8, NDArray[np.int64]]:
    """``count`` samples from ``seed``: (N, WIN_H, WIN_W, 3) windows and their province indices."""
    cv2.setNumThreads(1)
    rng = random.Random(seed)
    windows, labels = [], []
    for _ in range(count):
        w, k, _ = make_province_sample(rng, double_share=double_share)
        windows.append(w)
        labels.append(k)
    return np.stack(windows), np.array(labels, np.int64)
