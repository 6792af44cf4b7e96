"""Plate background colour from the rectified plate (hue fractions plus text polarity)."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading._np import as_u8

U8 = NDArray[np.uint8]


def _frac(hsv: U8, lo: tuple[int, int, int], hi: tuple[int, int, int]) -> float:
    n = int(np.count_nonzero(cv2.inRange(hsv, lo, hi)))
    return float(n) / float(max(1, hsv.shape[0] * hsv.shape[1]))


def classify_color(plate: U8, n_chars: int) -> str:
    """Colour of a rectified plate crop (BGR, roughly the plate only).

    Seven-character plates are judged on the middle of the character band: a crop widened to
    catch a plate's ends also catches the car above and below it, not there. New-energy plates
    (white-ish top, green below) are judged on the whole crop.
    """
    h, w = plate.shape[:2]
    margin = 0.08 if n_chars == 8 else 0.3
    inner = plate[round(h * margin) : h - round(h * margin), round(w * 0.03) : w - round(w * 0.03)]
    if inner.size == 0:
        return "unknown"
    hsv = as_u8(cv2.cvtColor(inner, cv2.COLOR_BGR2HSV))
    blue = _frac(hsv, (98, 60, 40), (130, 255, 255))
    yellow = _frac(hsv, (11, 60, 60), (34, 255, 255))
    green = _frac(hsv, (35, 35, 60), (90, 255, 255))

    if n_chars == 8:
        third = hsv.shape[1] // 3
        left, right = hsv[:, :third], hsv[:, third:]
        y_left = _frac(left, (11, 60, 60), (34, 255, 255))
        g_left = _frac(left, (35, 35, 60), (90, 255, 255))
        g_right = _frac(right, (35, 35, 60), (90, 255, 255))
        if y_left > 0.2 and y_left > g_left and g_right > 0.15:
            return "yellow_green"
        return "green"

    fr = {"blue": blue, "yellow": yellow, "green": green}
    best = max(fr, key=lambda k: fr[k])
    if fr[best] >= 0.18:
        return best

    # washed out (night, backlight) or white/black plates: use text polarity
    gray = cv2.cvtColor(inner, cv2.COLOR_BGR2GRAY)
    thr, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright_frac = float(np.count_nonzero(gray > thr)) / gray.size
    bright_text = bright_frac < 0.5
    weak_yellow = _frac(hsv, (10, 30, 50), (35, 255, 255))
    if bright_text:  # dark ground: a blue plate at night, or a black plate; judge the ground only
        ground = (gray <= thr).reshape(-1)
        weak_blue = cv2.inRange(hsv, (95, 25, 30), (132, 255, 255)).reshape(-1)[ground]
        return "blue" if np.count_nonzero(weak_blue) >= 0.2 * max(1, len(weak_blue)) else "black"
    if weak_yellow >= 0.2:
        return "yellow"
    sat = float(hsv[:, :, 1].mean())
    return "white" if sat < 60 else "unknown"
