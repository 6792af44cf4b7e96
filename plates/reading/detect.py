"""Classical plate candidate detection: colour masks and vertical-edge density.

Each candidate is a quadrilateral (tl, tr, br, bl) in image coordinates plus a hint of
which mask produced it.  Candidates are deliberately generous: the recogniser (whose CTC
confidence and the plate grammar reject non-plates) makes the final decision.

Sources: HSV masks of the plate colours (including faded yellow), and rows of dense vertical
edges (the characters) at a weak and a strong threshold and two gap sizes, so that plates
without a plate colour (dark, washed out, white/black) or on a same-coloured car are found
too.  Edge regions that are too tall or ragged for one plate (text over a grille) are split
into their bands of dense edges.  Candidates are ranked by shape plus how text-like their
middle row is, before the cap: only the first ``max_candidates`` reach the recogniser.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections.abc import Sequence
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
    ("yellow", (10, 40, 120), (30, 255, 255)),  # faded / sun-bleached yellow, bright only
    ("green", (35, 35, 60), (90, 255, 255)),
]
# Vertical-edge passes: (threshold, gap kernel per scale step).  The weak threshold keeps faint
# characters (night, haze); the strong one keeps only character strokes, so plate text no longer
# merges with the car body, lamps or a busy background; the fine kernel is for small plates.
_EDGE_PASSES: list[tuple[str, int]] = [("weak", 13), ("strong", 13), ("strong", 6)]
_TEXT_WEIGHT = 0.5  # score for a text-like middle row (see _text_transitions), against shape


@dataclass(frozen=True)
class Candidate:
    quad: F32  # 4x2, tl tr br bl
    source: str  # "blue" | "yellow" | "green" | "edge"
    score: float  # rough plausibility, higher first

    @property
    def width(self) -> float:
        return quad_size(self.quad)[0]

    @property
    def height(self) -> float:
        return quad_size(self.quad)[1]


def quad_size(q: F32) -> tuple[float, float]:
    """(width, height) of a quad (tl, tr, br, bl): the means of its opposite sides."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = q.tolist()
    return (
        (math.hypot(x1 - x0, y1 - y0) + math.hypot(x2 - x3, y2 - y3)) / 2,
        (math.hypot(x3 - x0, y3 - y0) + math.hypot(x2 - x1, y2 - y1)) / 2,
    )


def row_transitions(gray: U8) -> float:
    """Median count of dark/light changes along the rows of the middle half of a grey crop.

    A plate row crosses two strokes or more per character; uniform paint, sky or a car body
    crosses next to none (0 for a flat band: grey levels varying by less than 8, or by less than
    2 plus a fifth of the mean in a dark band, where a night plate's strokes differ by less).
    """
    h = gray.shape[0]
    band = gray[h // 4 : h - h // 4]
    mean, std = (float(v[0, 0]) for v in cv2.meanStdDev(band))
    if std < min(8.0, 2.0 + 0.2 * mean):
        return 0.0
    _, bw = cv2.threshold(band, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # about a hundred calls per photo: numpy's median and diff cost more than the counting here
    return float(statistics.median(np.count_nonzero(bw[:, 1:] != bw[:, :-1], axis=1).tolist()))


def _rect_quad(rect: tuple[Sequence[float], Sequence[float], float]) -> tuple[F32, float, float]:
    """minAreaRect -> quad ordered tl, tr, br, bl with the long side as the width."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = cv2.boxPoints(rect).tolist()
    n1, n2 = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x1, y2 - y1)
    if n1 >= n2:
        ux, uy, w, h = (x1 - x0) / max(n1, 1e-6), (y1 - y0) / max(n1, 1e-6), n1, n2
    else:
        ux, uy, w, h = (x2 - x1) / max(n2, 1e-6), (y2 - y1) / max(n2, 1e-6), n2, n1
    if ux < 0:
        ux, uy = -ux, -uy
    vx, vy = -uy, ux  # the long side's normal, pointing down
    if vy < 0:
        vx, vy = -vx, -vy
    cx, cy = (x0 + x1 + x2 + x3) / 4, (y0 + y1 + y2 + y3) / 4
    ax, ay, bx, by = ux * w / 2, uy * w / 2, vx * h / 2, vy * h / 2
    quad = np.array(
        [
            [cx - ax - bx, cy - ay - by],
            [cx + ax - bx, cy + ay - by],
            [cx + ax + bx, cy + ay + by],
            [cx - ax + bx, cy - ay + by],
        ],
        np.float32,
    )
    return quad, w, h


def _hull_quad(contour: NDArray[np.int32], quad: F32) -> F32:
    """Tighten a rectangle to the contour's hull: each corner snaps to the hull point nearest it.

    Follows perspective and shear better than the minimum-area rectangle.
    """
    hull = cv2.convexHull(contour).reshape(-1, 2).astype(np.float32)
    if len(hull) < 4:
        return quad
    h = math.hypot(*(quad[3] - quad[0]).tolist())
    sq = np.square(hull[None, :, :] - quad[:, None, :])
    d = np.sqrt(sq[:, :, 0] + sq[:, :, 1])  # corner x hull point (np.linalg.norm's float32 arithmetic)
    j = np.argmin(d, axis=1)
    near = d.min(axis=1) < 0.35 * h
    out = np.where(near[:, None], hull[j], quad).astype(np.float32)
    # reject degenerate snaps (corner collapsed), keep the rectangle then
    area_q = cv2.contourArea(quad)
    area_o = cv2.contourArea(out)
    if area_o < 0.7 * area_q:
        return quad
    return out


def _contour_candidates(
    mask: U8,
    source: str,
    img_area: float,
    min_w: float,
    max_aspect: float = 8.0,
    too_tall: list[F32] | None = None,
) -> list[Candidate]:
    """Plate-shaped regions of a mask; regions too tall or too ragged for a plate go to ``too_tall``."""
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[Candidate] = []
    for cnt in contours:
        if len(cnt) < 4:
            continue
        area = cv2.contourArea(cnt)
        if area < 120 or area > 0.5 * img_area:
            continue
        rect = cv2.minAreaRect(cnt)
        w, h = max(rect[1]), min(rect[1])
        if w < min_w or h < 7:
            continue
        aspect = w / max(h, 1e-3)
        fill = area / max(w * h, 1e-3)
        if not 1.5 <= aspect <= max_aspect or fill < 0.45:
            if too_tall is not None and aspect <= max_aspect and 14 <= h <= mask.shape[0] // 3:
                too_tall.append(_rect_quad(rect)[0])
            continue
        quad, w, h = _rect_quad(rect)
        quad = _hull_quad(np.asarray(cnt, np.int32), quad)
        out.append(Candidate(quad, source, _shape_score(w, h, fill)))
    return out


def _shape_score(w: float, h: float, fill: float) -> float:
    """Plausibility of a region's shape: aspect close to 3.2 (single) or 2.0 (double), filled, not tiny."""
    aspect = w / max(h, 1e-3)
    asp_pen = min(abs(np.log(aspect / 3.2)), abs(np.log(aspect / 2.0)))
    return float(fill - asp_pen + 0.1 * np.log(max(w, 1.0)))


def _edge_candidates(edges: U8, kw: int, img_area: float, min_w: float) -> list[Candidate]:
    """Rows of dense vertical edges (plate characters, gaps up to ``kw`` px) in a binary edge map."""
    m = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kw, max(3, kw // 4))))
    m = as_u8(cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (kw // 2, 3))))
    merged: list[F32] = []
    out = _contour_candidates(m, "edge", img_area, min_w, max_aspect=7.0, too_tall=merged)
    merged += [c.quad for c in out if c.width < 4 * c.height and 14 <= c.height <= edges.shape[0] // 3]
    return out + [s for q in merged for s in _split_rows(edges, q, kw, min_w)]


def _runs(on: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    padded = np.zeros(len(on) + 2, np.bool_)  # about a hundred calls per photo: np.diff's prepend costs more
    padded[1:-1] = on
    edges = np.flatnonzero(padded[1:] != padded[:-1]).tolist()
    return list(zip(edges[::2], edges[1::2], strict=True))  # changes alternate: start, end, start, ...


_THIRDS = np.ones(3) / 3


def _split_rows(edges: U8, quad: F32, kw: int, min_w: float) -> list[Candidate]:
    """Bands of dense edges inside an edge region too tall or too ragged for one plate row.

    Plate characters directly above a grille, a bumper edge or other text merge into one
    region; the plate's margin leaves a row of few vertical edges between them.
    """
    w = round(math.hypot(*(quad[1] - quad[0]).tolist()))
    h = round(math.hypot(*(quad[3] - quad[0]).tolist()))
    if h < 14 or w < min_w or h > edges.shape[0] // 3:
        return []
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    crop = cv2.warpPerspective(edges, m, (w, h), flags=cv2.INTER_NEAREST)
    # each row's mean (its exact sum over its width, as np.mean takes it), smoothed over three rows
    prof = np.convolve(crop.sum(axis=1, dtype=np.float64) / w / 255.0, _THIRDS, mode="same")
    top = prof.max()
    if top <= 0:
        return []
    inv: NDArray[np.float64] | None = None
    out: list[Candidate] = []
    for r0, r1 in _runs(prof >= 0.5 * top):
        if r1 - r0 < max(7, 0.15 * h) or r1 - r0 > 0.8 * h:
            continue
        cols = cv2.dilate(crop[r0:r1].max(axis=0).reshape(1, -1), np.ones((1, kw), np.uint8)).ravel() > 0
        c0, c1 = max(_runs(cols), key=lambda r: r[1] - r[0])
        c0, c1 = c0 + kw // 2, c1 - kw // 2
        if c1 - c0 < min_w or not 1.5 <= (c1 - c0) / (r1 - r0) <= 7.0:
            continue
        pts = np.array([[[c0, r0], [c1, r0], [c1, r1], [c0, r1]]], np.float32)
        if inv is None:
            inv = np.asarray(np.linalg.inv(m), np.float64)
        sub = cv2.perspectiveTransform(pts, inv).reshape(4, 2).astype(np.float32)
        out.append(Candidate(sub, "edge", _shape_score(c1 - c0, r1 - r0, 0.8)))
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
    # structuring elements grow in proportion to the photo (1 at 640 px and below): a stepped
    # factor made the same scene close gaps 1.3 times wider, relative to its size, at 960 px than at 640
    scale_k = max(1.0, max(h, w) / 640)
    hsv = as_u8(cv2.cvtColor(small, cv2.COLOR_BGR2HSV))
    cands: list[Candidate] = []
    k_close = cv2.getStructuringElement(cv2.MORPH_RECT, (round(3 + 4 * scale_k), round(1 + 2 * scale_k)))
    k_open = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    for name, mask in color_masks(hsv):
        m = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, k_close)
        m = as_u8(cv2.morphologyEx(m, cv2.MORPH_OPEN, k_open))
        cands += _contour_candidates(m, name, img_area, min_w)

    # vertical edges of characters (white/black plates, washed-out colours at night)
    gray = as_u8(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    sob = cv2.convertScaleAbs(cv2.Sobel(blur, cv2.CV_16S, 1, 0, ksize=3))
    otsu, _ = cv2.threshold(sob, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    hist = np.cumsum(cv2.calcHist([sob], [0], None, [256], [0, 256]).ravel())
    p90 = float(np.searchsorted(hist, 0.90 * hist[-1]))
    thresholds = {"weak": max(12.0, min(otsu, p90)), "strong": max(12.0, otsu, p90)}
    done: set[tuple[float, int]] = set()
    for which, kmul in _EDGE_PASSES:
        thr, kw = thresholds[which], round(kmul * scale_k)
        if (thr, kw) in done:  # strong == weak on low-contrast photos
            continue
        done.add((thr, kw))
        _, edges = cv2.threshold(sob, thr, 255, cv2.THRESH_BINARY)
        for c in _edge_candidates(as_u8(edges), kw, img_area, min_w):
            cands.append(Candidate(c.quad, "edge", c.score - 0.3))
    cands.sort(key=lambda c: -c.score)
    # rank by how text-like the middle of each region is as well as by its shape
    kept = _rank_by_text(gray, _suppress(cands), max_candidates)
    if f != 1.0:
        kept = [Candidate((c.quad / f).astype(np.float32), c.source, c.score) for c in kept]
    return kept


def _rank_by_text(gray: U8, cands: list[Candidate], max_candidates: int) -> list[Candidate]:
    """The ``max_candidates`` best of ``cands`` (best first) by shape score plus ``_text_bonus``.

    The bonus is at most ``_TEXT_WEIGHT``, so a candidate whose shape score plus that is below the
    ``max_candidates`` best scores of the candidates before it cannot reach the cut: its bonus is not
    computed (a warp and a stroke count each; about 90 candidates a photo, shape score first, most
    far below the cut). The ranking is the one of scoring every candidate."""
    kept: list[Candidate] = []
    best: list[float] = []  # min-heap of the max_candidates best scores so far
    for c in cands:
        if len(best) == max_candidates and c.score + _TEXT_WEIGHT < best[0]:
            continue
        scored = Candidate(c.quad, c.source, c.score + _text_bonus(gray, c))
        kept.append(scored)
        if len(best) < max_candidates:
            heapq.heappush(best, scored.score)
        elif scored.score > best[0]:
            heapq.heapreplace(best, scored.score)
    kept.sort(key=lambda c: -c.score)
    return kept[:max_candidates]


def _text_transitions(gray: U8, quad: F32, out_h: int = 20) -> float:
    """``row_transitions`` of a quad, warped to ``out_h`` px high."""
    w, h = quad_size(quad)
    out_w = int(min(200, max(16, round(out_h * w / max(h, 1e-3)))))
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return row_transitions(as_u8(cv2.warpPerspective(gray, m, (out_w, out_h), flags=cv2.INTER_LINEAR)))


def _text_bonus(gray: U8, c: Candidate) -> float:
    t = _text_transitions(gray, c.quad)
    return _TEXT_WEIGHT * (min(t, 12.0) - 6.0) / 6.0


def _suppress(cands: list[Candidate]) -> list[Candidate]:
    """Drop candidates nearly identical to a better one (same place and size); ``cands`` best first."""
    if not cands:
        return []
    quads = np.stack([c.quad for c in cands])
    centre = quads.mean(axis=1)
    width = (np.linalg.norm(quads[:, 1] - quads[:, 0], axis=1) + np.linalg.norm(quads[:, 2] - quads[:, 3], axis=1)) / 2
    height = (np.linalg.norm(quads[:, 3] - quads[:, 0], axis=1) + np.linalg.norm(quads[:, 2] - quads[:, 1], axis=1)) / 2
    keep: list[int] = []
    block = 256  # rows compared at once: memory stays block x len(cands) on cluttered photos
    for b0 in range(0, len(cands), block):
        rows = slice(b0, b0 + block)
        # same[i - b0, k]: candidate i is nearly candidate k (k's width sets the distance and ratios)
        rw = width[rows, None] / np.maximum(width[None, :], 1e-3)
        rh = height[rows, None] / np.maximum(height[None, :], 1e-3)
        near = np.linalg.norm(centre[None, :, :] - centre[rows, None, :], axis=2) < 0.15 * width[None, :]
        same = near & (rw > 0.8) & (rw < 1.25) & (rh > 0.8) & (rh < 1.25)
        for i in range(b0, min(b0 + block, len(cands))):
            if not keep or not same[i - b0, keep].any():
                keep.append(i)
    return [cands[i] for i in keep]


def trace_scale(quad: F32, trace_height: float) -> float:
    """The scale ``refine_quad`` traces ``quad`` at (1 or less): the outline depends on
    ``trace_height`` only through it, so two heights of one scale trace the same outline."""
    return min(1.0, trace_height / quad_size(quad.astype(np.float32))[1])


def refine_quad(image: U8, quad: F32, trace_height: float = 32.0) -> F32 | None:
    """The plate's own outline around a rough quad, found by the plate's background colour.

    Edge regions cover the characters, not the plate, and follow tilt badly; colour regions
    stop at dirt or glare. The ground and character colours are taken from the quad's text band
    (``_two_colours``), then the region of the ground colour around the quad is traced and fitted
    like a colour mask, at ``trace_height`` px of quad height at most (cheap; the fit changes with it).
    None when no plate-shaped region of that colour contains the quad's centre.
    """
    q = quad.astype(np.float32)
    wq, hq = quad_size(q)
    if wq < 12 or hq < 6:
        return None
    ih, iw = image.shape[:2]
    c = q.mean(axis=0)
    half = max(wq, 3 * hq) * 0.9
    x0, x1 = max(0, int(c[0] - half)), min(iw, int(c[0] + half) + 1)
    y0, y1 = max(0, int(c[1] - 1.5 * hq)), min(ih, int(c[1] + 1.5 * hq) + 1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    s = trace_scale(quad, trace_height)
    roi = image[y0:y1, x0:x1]
    if s < 1.0:
        roi = as_u8(cv2.resize(roi, None, fx=s, fy=s, interpolation=cv2.INTER_AREA))
    origin = np.array([x0, y0], np.float32)
    q, c, wq, hq = (q - origin) * s, (c - origin) * s, wq * s, hq * s
    lab = as_u8(cv2.cvtColor(roi, cv2.COLOR_BGR2LAB))
    core = expand_quad(q, -0.25, -0.25, -0.1, -0.1)  # the text band, no margins
    inner = cv2.fillConvexPoly(np.zeros(lab.shape[:2], np.uint8), np.round(core).astype(np.int32), 1)
    pix = lab[inner > 0].astype(np.float32)
    if len(pix) < 30:
        return None
    split = _two_colours(pix)
    if split is None:
        return None
    ground, text = split
    weight2 = np.array([0.25, 1.0, 1.0], np.float32)  # squared: lightness varies over a plate more than hue
    gap2 = float(np.square(ground - text) @ weight2)
    # weighted squared distances of every Lab value (0-255 per channel) to the ground and the
    # characters, looked up per pixel and summed over the channels
    values = np.arange(256, dtype=np.float32)[:, None]
    to_ground = np.square(values - ground) * weight2
    to_text = np.square(values - text) * weight2
    dist2 = _lut_sum(lab, to_ground)
    nearer = _lut_sum(lab, to_ground - to_text) < 0
    mask = as_u8((nearer & (dist2 <= max(64.0, 0.16 * gap2))).astype(np.uint8) * 255)
    mask = as_u8(cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))))
    # close over the characters (about a third of the plate's height wide) to one region
    fill = (max(3, round(hq / 2)) | 1, max(3, round(hq / 4)) | 1)
    mask = as_u8(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, fill)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for cnt in contours:
        if len(cnt) < 4 or cv2.pointPolygonTest(cnt, (float(c[0]), float(c[1])), False) < 0:
            continue
        rect = cv2.minAreaRect(cnt)
        w, h = max(rect[1]), min(rect[1])
        area = cv2.contourArea(cnt)
        if not 1.5 <= w / max(h, 1e-3) <= 6.5 or area / max(w * h, 1e-3) < 0.5:
            return None
        if not 0.35 <= w * h / (wq * hq) <= 4.0:
            return None
        box, _, _ = _rect_quad(rect)
        return (_hull_quad(np.asarray(cnt, np.int32), box) / s + origin).astype(np.float32)
    return None


def _lut_sum(img: U8, table: F32) -> F32:
    """Per pixel of a 3-channel uint8 image, the sum over its channels of ``table[value, channel]``
    (``table``: 256 x 3)."""
    looked = cv2.LUT(img, np.ascontiguousarray(table, np.float32).reshape(1, 256, 3))
    return np.asarray(cv2.transform(looked, np.ones((1, 3), np.float32)), np.float32)


def expand_quad(quad: F32, top: float, bottom: float, left: float, right: float) -> F32:
    """Grow (negative fractions: shrink) a quad (tl, tr, br, bl) on each side by fractions of its
    height (top, bottom) and width (left, right)."""
    q = quad.astype(np.float32)
    r = (q[1] - q[0] + q[2] - q[3]) / 2  # the mean width and height vectors, in float32
    d = (q[3] - q[0] + q[2] - q[1]) / 2
    # each corner plus or minus its shares of them, in float32 as (tl - r * left) - d * top etc. were
    along = np.array([[-left], [right], [right], [-left]], np.float32)
    down = np.array([[-top], [-top], [bottom], [bottom]], np.float32)
    return np.asarray(q + r * along + d * down, np.float32)


def _two_colours(pix: F32) -> tuple[F32, F32] | None:
    """(ground, text) Lab colours of a plate's text band.

    Coloured plates (blue, yellow, green) carry white or black characters: the ground is the
    more saturated side of a chroma split. Otherwise (white, black plates, night) the ground
    is the larger side of a lightness split.
    """
    chroma = np.hypot(pix[:, 1] - 128, pix[:, 2] - 128)
    lo, hi = _percentiles(chroma, (0.1, 0.9))
    if hi - lo > 15:
        values, ground_is_high = chroma, True
    else:
        values, ground_is_high = pix[:, 0], None
    v8 = np.ascontiguousarray(np.clip(values, 0, 255).astype(np.uint8)).reshape(-1, 1)
    thr, _ = cv2.threshold(v8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    high = values > thr
    if high.all() or not high.any():
        return None
    if ground_is_high is None:
        ground_is_high = bool(high.mean() >= 0.5)
    g, t = (pix[high], pix[~high]) if ground_is_high else (pix[~high], pix[high])
    return _median_rows(g), _median_rows(t)


def _percentiles(values: F32, shares: tuple[float, ...]) -> list[float]:
    """``np.percentile(values, 100 * shares)`` of a 1-d float32 array, to the last bit (numpy's
    default "linear" method: the same order statistics and the same interpolation arithmetic),
    without its general-purpose overhead (a few hundred calls a photo)."""
    n = len(values)
    virtual = [(n - 1) * q for q in shares]
    below = [n - 1 if v >= n - 1 else max(0, math.floor(v)) for v in virtual]
    above = [b if v >= n - 1 or v < 0 else b + 1 for b, v in zip(below, virtual, strict=True)]
    part = np.partition(values, sorted({*below, *above}))
    out: list[float] = []
    for v, b, a in zip(virtual, below, above, strict=True):
        lo, hi = part[b], part[a]
        gamma = v - b if 0 <= v < n - 1 else 0.0
        diff = float(hi - lo)  # float32 difference, as numpy takes it
        out.append(float(hi) - diff * (1 - gamma) if gamma >= 0.5 else float(lo) + diff * gamma)
    return out


def _median_rows(rows: F32) -> F32:
    """``np.median(rows, axis=0)`` of a non-empty (n, channels) float32 array, to the last bit:
    the middle row's values, or the float32 mean of the two middle ones."""
    n = len(rows)
    if n % 2:
        return np.asarray(np.partition(rows, n // 2, axis=0)[n // 2], np.float32)
    part = np.partition(rows, [n // 2 - 1, n // 2], axis=0)
    return np.asarray((part[n // 2 - 1] + part[n // 2]) / 2, np.float32)
