"""Perspective-warp a plate quadrilateral into the recogniser's input layout.

Shared by the runtime reader and the training code so both see the same crops.
Single-row plates are warped straight to ``INPUT_W x INPUT_H``.  Double-row plates
(yellow truck rears, 440x220 mm) are warped to a 2:1 rectangle, the top row
(province + area letter) and the bottom row (5 characters) are cut apart and laid
side by side, giving a single text line the same recogniser reads.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading._np import as_u8

INPUT_W = 128
INPUT_H = 32
_TOP_W = 40  # width of the top row in the composed double-row input
_SPLIT = 0.36  # fraction of a double-row plate's height taken by the top row

#: GA 36's double-row plate: its size and its character boxes (x, y, w, h), in mm: the top row's
#: province and area letter, then the lower row's five characters. Synthetic plates are drawn by
#: it; the reader places the province window and the whole plate around a lower row by it.
DOUBLE_PLATE_MM = (440.0, 220.0)
DOUBLE_BOXES_MM = (
    (110.0, 15.0, 80.0, 60.0),
    (250.0, 15.0, 80.0, 60.0),
    *((27.5 + i * 80.0, 90.0, 65.0, 110.0) for i in range(5)),
)
#: The margin, as a share of the plate on every side, the reader's double-row quads carry about.
DOUBLE_QUAD_MARGIN = 0.05


def order_corners(pts: NDArray[np.floating]) -> NDArray[np.float32]:
    """Order 4 points as top-left, top-right, bottom-right, bottom-left."""
    p = np.asarray(pts, np.float32).reshape(4, 2)
    c = p.mean(axis=0)
    ang = np.arctan2(p[:, 1] - c[1], p[:, 0] - c[0])
    p = p[np.argsort(ang)]  # clockwise in image coordinates starting from the left-most angle
    # rotate so the first point is the one with the smallest x+y among the two top points
    s = p.sum(axis=1)
    i = int(np.argmin(s))
    p = np.roll(p, -i, axis=0)
    # ensure clockwise order (tl -> tr): tr should have larger x than bl
    if p[1, 0] < p[3, 0]:
        p = p[[0, 3, 2, 1]]
    return p


def _warp(image: NDArray[np.uint8], quad: NDArray[np.float32], w: int, h: int) -> NDArray[np.uint8]:
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return as_u8(cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


def warp_single(image: NDArray[np.uint8], quad: NDArray[np.float32]) -> NDArray[np.uint8]:
    return _warp(image, quad, INPUT_W, INPUT_H)


def warp_double(image: NDArray[np.uint8], quad: NDArray[np.float32]) -> NDArray[np.uint8]:
    big = _warp(image, quad, 176, 88)
    split = round(88 * _SPLIT)
    top = big[:split, round(176 * 0.2) : round(176 * 0.8)]
    bottom = big[split:, :]
    top = as_u8(cv2.resize(top, (_TOP_W, INPUT_H), interpolation=cv2.INTER_AREA))
    bottom = as_u8(cv2.resize(bottom, (INPUT_W - _TOP_W, INPUT_H), interpolation=cv2.INTER_AREA))
    return np.ascontiguousarray(np.hstack([top, bottom]))


def warp_plate(image: NDArray[np.uint8], quad: NDArray[np.float32], double: bool) -> NDArray[np.uint8]:
    return warp_double(image, quad) if double else warp_single(image, quad)


def to_blob(crops: list[NDArray[np.uint8]]) -> NDArray[np.float32]:
    """BGR uint8 crops (INPUT_H x INPUT_W) -> NCHW float32 in [-1, 1]."""
    arr = np.stack(crops).astype(np.float32)
    arr = (arr - 127.5) / 127.5
    return np.ascontiguousarray(arr.transpose(0, 3, 1, 2))
