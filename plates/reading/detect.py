"""Classical plate candidate detection: colour masks and vertical-edge density.

Each candidate is a quadrilateral (tl, tr, br, bl) in image coordinates plus a hint of
which mask produced it.  Candidates are deliberately generous: the recogniser (whose CTC
confidence and the plate grammar reject non-plates) makes the final decision.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading._np import as_u8

U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]

# OpenCV HSV: H in [0, 180)
_HSV_RANGES: list[tuple[str, tuple[int, int, int], tuple[int, int, int]]] = [
    ("blue", (98, 70, 45), (128, 255, 255)),
    ("blue", (100, 140, 60), (125, 255, 255)),  # strict: splits plates from bluish shadows/paint
    ("yellow", (11, 70, 70), (34, 255, 255)),
    ("yellow", (13, 130, 90), (32, 255, 255)),
    ("green", (35, 35, 60), (90, 255, 255)),
]


@dataclass(frozen=True)
class Candidate:
    quad: F32  # 4x2, tl tr br bl
    source: str  # "blue" | "yellow" | "green" | "edge"
    score: float  # rough plausibility, higher first

    @property
    def width(self) -> float:
        q = self.quad
        return float((np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3])) / 2)

    @property
    def height(self) -> float:
        q = self.quad
        return float((np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2)


def _rect_quad(rect: tuple[tuple[float, float], tuple[float, float], float]) -> tuple[F32, float, float]:
    """minAreaRect -> quad ordered tl, tr, br, bl with the long side as the width."""
    pts = cv2.boxPoints(rect).astype(np.float32)
    e1, e2 = pts[1] - pts[0], pts[2] - pts[1]
    n1, n2 = float(np.linalg.norm(e1)), float(np.linalg.norm(e2))
    u, w, h = (e1 / max(n1, 1e-6), n1, n2) if n1 >= n2 else (e2 / max(n2, 1e-6), n2, n1)
    if u[0] < 0:
        u = -u
    v = np.array([-u[1], u[0]], np.float32)
    if v[1] < 0:
        v = -v
    c = pts.mean(axis=0)
    quad = np.stack(
        [c - u * w / 2 - v * h / 2, c + u * w / 2 - v * h / 2, c + u * w / 2 + v * h / 2, c - u * w / 2 + v * h / 2]
    ).astype(np.float32)
    return quad, w, h


def _hull_quad(contour: NDArray[np.int32], quad: F32) -> F32:
    """Tighten a rectangle to the contour's hull: each corner snaps to the hull point nearest it.

    Follows perspective and shear better than the minimum-area rectangle.
    """
    hull = cv2.convexHull(contour).reshape(-1, 2).astype(np.float32)
    if len(hull) < 4:
        return quad
    out = np.empty_like(quad)
    h = float(np.linalg.norm(quad[3] - quad[0]))
    for i in range(4):
        d = np.linalg.norm(hull - quad[i], axis=1)
        j = int(np.argmin(d))
        out[i] = hull[j] if d[j] < 0.35 * h else quad[i]
    # reject degenerate snaps (corner collapsed), keep the rectangle then
    area_q = cv2.contourArea(quad)
    area_o = cv2.contourArea(out)
    if area_o < 0.7 * area_q:
        return quad
    return out


def _contour_candidates(
    mask: U8, source: str, img_area: float, min_w: float, max_aspect: float = 8.0
) -> list[Candidate]:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[Candidate] = []
    for cnt in contours:
        if len(cnt) < 4:
            continue
        area = cv2.contourArea(cnt)
        if area < 120 or area > 0.5 * img_area:
            continue
        (rcx, rcy), (rw, rh), rang = cv2.minAreaRect(cnt)
        quad, w, h = _rect_quad(((rcx, rcy), (rw, rh), rang))
        if w < min_w or h < 7:
            continue
        aspect = w / max(h, 1e-3)
        if not 1.5 <= aspect <= max_aspect:
            continue
        fill = area / max(w * h, 1e-3)
        if fill < 0.45:
            continue
        quad = _hull_quad(np.asarray(cnt, np.int32), quad)
        # plausibility: aspect close to 3.1 (single) or 2.0 (double), filled, not tiny
        asp_pen = min(abs(np.log(aspect / 3.2)), abs(np.log(aspect / 2.0)))
        score = fill - asp_pen + 0.1 * np.log(max(w, 1.0))
        out.append(Candidate(quad, source, float(score)))
    return out


def color_masks(hsv: U8) -> list[tuple[str, U8]]:
    return [(name, as_u8(cv2.inRange(hsv, lo, hi))) for name, lo, hi in _HSV_RANGES]


DETECT_SIDE = 960


def find_candidates(image: U8, max_candidates: int = 14) -> list[Candidate]:
    """Plate-like regions of a BGR image, most plausible first (quads in ``image`` coordinates)."""
    h0, w0 = image.shape[:2]
    f = min(1.0, DETECT_SIDE / max(h0, w0))
    small = image if f == 1.0 else cv2.resize(image, (round(w0 * f), round(h0 * f)), interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    img_area = float(h * w)
    min_w = max(20.0, 0.018 * max(h, w))
    scale_k = max(1, round(max(h, w) / 640))
    hsv = as_u8(cv2.cvtColor(small, cv2.COLOR_BGR2HSV))
    cands: list[Candidate] = []
    k_close = cv2.getStructuringElement(cv2.MORPH_RECT, (3 + 4 * scale_k, 1 + 2 * scale_k))
    k_open = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    for name, mask in color_masks(hsv):
        m = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, k_close)
        m = as_u8(cv2.morphologyEx(m, cv2.MORPH_OPEN, k_open))
        cands += _contour_candidates(m, name, img_area, min_w)

    # vertical edges of characters (white/black plates, washed-out colours at night)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    sob = cv2.convertScaleAbs(cv2.Sobel(blur, cv2.CV_16S, 1, 0, ksize=3))
    otsu, _ = cv2.threshold(sob, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    hist = np.cumsum(cv2.calcHist([sob], [0], None, [256], [0, 256]).ravel())
    p90 = float(np.searchsorted(hist, 0.90 * hist[-1]))
    _, edges = cv2.threshold(sob, max(12.0, min(otsu, p90)), 255, cv2.THRESH_BINARY)
    kw = 13 * scale_k
    m = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kw, max(3, kw // 4))))
    m = as_u8(cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (kw // 2, 3))))
    for c in _contour_candidates(m, "edge", img_area, min_w, max_aspect=7.0):
        cands.append(Candidate(c.quad, "edge", c.score - 0.3))
    cands.sort(key=lambda c: -c.score)
    kept = _suppress(cands)[:max_candidates]
    if f != 1.0:
        kept = [Candidate((c.quad / f).astype(np.float32), c.source, c.score) for c in kept]
    return kept


def _suppress(cands: list[Candidate]) -> list[Candidate]:
    """Drop candidates nearly identical to a better one (same place and size)."""
    kept: list[Candidate] = []
    for c in cands:
        cc = c.quad.mean(axis=0)
        dup = False
        for k in kept:
            kc = k.quad.mean(axis=0)
            if (
                np.linalg.norm(cc - kc) < 0.15 * k.width
                and 0.8 < c.width / max(k.width, 1e-3) < 1.25
                and 0.8 < c.height / max(k.height, 1e-3) < 1.25
            ):
                dup = True
                break
        if not dup:
            kept.append(c)
    return kept
