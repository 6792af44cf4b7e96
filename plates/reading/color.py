"""Plate background colour from the rectified plate (hue fractions plus text polarity)."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading._np import as_u8
from plates.text import FORM_COLORS, PlateColor, validate_plate

U8 = NDArray[np.uint8]


HSV = tuple[int, int, int]
# OpenCV HSV: H in [0, 180)
_BLUE: tuple[HSV, HSV] = ((98, 60, 40), (130, 255, 255))
_YELLOW: tuple[HSV, HSV] = ((11, 60, 60), (34, 255, 255))
_GREEN: tuple[HSV, HSV] = ((35, 35, 60), (90, 255, 255))
#: Green hues up to here lie nearer yellow than blue: the midpoint of the centres of the yellow
#: and blue ranges.
_YELLOW_BLUE_MIDPOINT = 68
_SHARE = 0.18  # share of the judged part a ground colour must cover


def _frac(hsv: U8, lo: HSV, hi: HSV) -> float:
    n = int(np.count_nonzero(cv2.inRange(hsv, lo, hi)))
    return float(n) / float(max(1, hsv.shape[0] * hsv.shape[1]))


def _judged_part(plate: U8, n_chars: int) -> U8 | None:
    """The part of a rectified plate crop its colour is judged on: seven-character plates
    on the middle of the character band (a crop widened to catch a plate's ends also catches the
    car above and below it, not there); new-energy plates (white-ish top, green below) on the
    whole crop."""
    h, w = plate.shape[:2]
    margin = 0.08 if n_chars == 8 else 0.3
    inner = plate[round(h * margin) : h - round(h * margin), round(w * 0.03) : w - round(w * 0.03)]
    return inner if inner.size else None


def green_ground(plate: U8) -> bool:
    """Whether the character band of a plate crop is mostly green (more than blue and yellow, and
    ``_SHARE`` of it at least): a new-energy plate, whatever number of characters it was read as.
    The hues between the green and the blue masks (a teal blue plate: hue 91-97) count for blue."""
    inner = _judged_part(plate, 7)
    if inner is None:
        return False
    hsv = as_u8(cv2.cvtColor(inner, cv2.COLOR_BGR2HSV))
    green = _frac(hsv, *_GREEN)
    (b_lo, b_hi), g_hi = _BLUE, _GREEN[1]
    blue = _frac(hsv, (g_hi[0] + 1, *b_lo[1:]), b_hi)
    return green >= _SHARE and green > max(blue, _frac(hsv, *_YELLOW))


def classify_color(plate: U8, n_chars: int) -> str:
    """Colour of a rectified plate crop (BGR, roughly the plate only) read as ``n_chars`` characters.

    GA 36 gives green grounds to new-energy plates only, which have eight characters: an
    eight-character read is green or yellow-green, and on a shorter plate a green-looking ground
    is a yellow or a blue plate under a colour cast (a lime yellow, a cyan blue); its green pixels
    count for the nearer of the two hues. This judges the ground alone: the reader gives a read
    the colour of its form where the form has one (``reading_color``), so an eight-character read
    is coloured by its layout, not by this hue split.
    """
    inner = _judged_part(plate, n_chars)
    if inner is None:
        return "unknown"
    hsv = as_u8(cv2.cvtColor(inner, cv2.COLOR_BGR2HSV))
    if n_chars == 8:
        third = hsv.shape[1] // 3
        left, right = hsv[:, :third], hsv[:, third:]
        y_left = _frac(left, *_YELLOW)
        g_left = _frac(left, *_GREEN)
        g_right = _frac(right, *_GREEN)
        if y_left > 0.2 and y_left > g_left and g_right > 0.15:
            return "yellow_green"
        return "green"

    (g_lo, g_hi), mid = _GREEN, _YELLOW_BLUE_MIDPOINT
    yellow = _frac(hsv, *_YELLOW) + _frac(hsv, g_lo, (mid - 1, *g_hi[1:]))
    blue = _frac(hsv, *_BLUE) + _frac(hsv, (mid, *g_lo[1:]), g_hi)
    best, share = ("yellow", yellow) if yellow > blue else ("blue", blue)
    if share >= _SHARE:
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


#: An ordinary plate is blue or yellow (``plates.text.FORM_COLORS``). A ground whose hue fits
#: neither (washed out, night) was judged by its characters: light characters (``black``) are a
#: blue plate's, dark ones (``white``, ``unknown``) a yellow plate's.
_ORDINARY_BY_POLARITY = {"black": "blue", "white": "yellow", "unknown": "yellow"}


def reading_color(plate: U8, text: str) -> str:
    """Colour of a plate crop read as ``text``: its ground colour (``classify_color``) among the
    colours GA 36 gives the read's form (``plates.text.FORM_COLORS``). A police (警), HK/Macau (港,
    澳), trailer (挂) or coach (学) plate and a small or large new-energy plate have one colour
    each; an ordinary plate is blue or yellow. A read that fits no form (使, 领) keeps the ground
    colour."""
    check = validate_plate(text, PlateColor.UNKNOWN)
    allowed = FORM_COLORS[check.form] if check.ok and check.form is not None else None
    if allowed is not None and len(allowed) == 1:  # the form says it; the ground is not judged
        return next(iter(allowed)).value
    colour = classify_color(plate, len(text))
    if allowed is None or PlateColor(colour) in allowed:
        return colour
    return _ORDINARY_BY_POLARITY.get(colour, colour)
