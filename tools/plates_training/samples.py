"""Training samples for the recogniser: augmented synthetic plates warped like the reader does."""

from __future__ import annotations

import random

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading.rectify import warp_plate
from tools.plates_training.synth import (
    PlateSpec,
    photometric,
    place_plate,
    random_background,
    random_spec,
    render_plate,
)


def _jitter_quad(quad: NDArray[np.float32], rng: random.Random) -> NDArray[np.float32]:
    """Simulate an imperfect detector: loose/tight margins and corner noise."""
    q = quad.astype(np.float32).copy()
    tl, tr, br, bl = q
    right = (tr - tl + br - bl) / 2
    down = (bl - tl + br - tr) / 2
    mx_l, mx_r = rng.uniform(-0.04, 0.09), rng.uniform(-0.04, 0.09)
    my_t, my_b = rng.uniform(-0.10, 0.22), rng.uniform(-0.10, 0.22)
    q[0] = tl - right * mx_l - down * my_t
    q[1] = tr + right * mx_r - down * my_t
    q[2] = br + right * mx_r + down * my_b
    q[3] = bl - right * mx_l + down * my_b
    h = float(np.linalg.norm(down))
    q += np.array([[rng.gauss(0, 0.05 * h), rng.gauss(0, 0.05 * h)] for _ in range(4)], np.float32)
    return q


def place_sample(
    spec: PlateSpec, rng: random.Random
) -> tuple[NDArray[np.uint8], NDArray[np.float32], NDArray[np.float64], float]:
    """A plate of ``spec`` rendered into a small scene as a detector would box it: (scene, the
    detector's quad, the plate-to-scene homography, the plate's render scale)."""
    width = rng.uniform(45, 260) if rng.random() < 0.8 else rng.uniform(260, 480)
    scale = float(np.clip(width / 440 * 1.5, 0.5, 1.0))
    plate, corners = render_plate(spec, rng, scale=scale)
    aspect = plate.shape[0] / plate.shape[1]
    cw, ch = round(width * 1.35), round(width * aspect * 1.9) + 10
    canvas = random_background(rng, ch, cw)
    dst = place_plate(plate, corners, canvas, rng, width, (cw / 2, ch / 2), max_angle=8.0, max_persp=0.08)
    canvas = photometric(canvas, rng)
    homography = np.asarray(cv2.getPerspectiveTransform(corners, dst), np.float64)
    if rng.random() < 0.2:
        # an axis-aligned box around a tilted plate (a box-only detector or a hand-drawn label):
        # the text is tilted in the crop and the box's corners show background
        x0, y0 = dst.min(axis=0)
        x1, y1 = dst.max(axis=0)
        dst = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    return canvas, _jitter_quad(dst, rng), homography, scale


def make_sample(rng: random.Random) -> tuple[NDArray[np.uint8], str]:
    """One (crop, text) pair; text is "" for a negative (non-plate) crop."""
    if rng.random() < 0.08:
        h, w = rng.randint(24, 120), rng.randint(60, 360)
        bg = photometric(random_background(rng, h, w), rng)
        quad = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        quad = _jitter_quad(quad, rng)
        return warp_plate(bg, quad, double=rng.random() < 0.2), ""
    spec = random_spec(rng)
    canvas, quad, _, _ = place_sample(spec, rng)
    crop = warp_plate(canvas, quad, double=spec.double)
    if rng.random() < 0.25:
        crop = low_res(crop, rng)
    return crop, spec.text


def low_res(crop: NDArray[np.uint8], rng: random.Random) -> NDArray[np.uint8]:
    """A crop stored small (e.g. 94x24) and compressed, then scaled back up to the input size."""
    h, w = crop.shape[:2]
    f = rng.uniform(0.45, 0.8)
    small = cv2.resize(crop, (max(8, round(w * f)), max(4, round(h * f))), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        ok, enc = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(20, 80)])
        decoded = cv2.imdecode(enc, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            small = decoded
    interp = rng.choice((cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_NEAREST))
    return np.ascontiguousarray(cv2.resize(small, (w, h), interpolation=interp), dtype=np.uint8)
