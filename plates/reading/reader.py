"""Read every Chinese licence plate in a photo.

Pipeline: classical candidate detection (``detect``) -> perspective warp into the
recogniser layout (single row, and double row for squarish candidates, ``rectify``) ->
CTC recogniser (``recognizer``) decoded under the plate grammar (``decode``) -> confidence
filter -> one reading per physical plate -> each plate (and the two likeliest unsure places) read
again by PaddleOCR's PP-OCRv4 recogniser (``ppocr``), whose plate read wins -> for reads left to our
recogniser, a second read of the province character at twice the resolution (``province``) ->
background colour (``color``). A candidate that
shows characters but gives no sure read (``SURE``) is read once more from the plate's
traced outline (``detect.refine_quad``) and the surer read kept: edge regions are axis-aligned
boxes over the characters that cut off tilted plates' ends, and a cut-off end can still give a
plate-shaped read of middling confidence.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading._np import as_u8
from plates.reading.charset import PROVINCES, SPECIALS
from plates.reading.color import green_ground, reading_color
from plates.reading.decode import TextResult, ctc_decode, decode_plate, softmax
from plates.reading.detect import (
    Candidate,
    expand_quad,
    find_candidates,
    quad_size,
    refine_quad,
    row_transitions,
    trace_scale,
)
from plates.reading.ppocr import PPOCRRecognizer
from plates.reading.province import DEFAULT_MODEL as PROVINCE_MODEL
from plates.reading.province import ProvinceClassifier
from plates.reading.recognizer import DEFAULT_MODEL, Recognizer
from plates.reading.rectify import DOUBLE_BOXES_MM, DOUBLE_PLATE_MM, DOUBLE_QUAD_MARGIN, warp_plate
from plates.reading.types import PlateReading

U8 = NDArray[np.uint8]
F32 = NDArray[np.float32]

MAX_SIDE = 1280
MIN_CONFIDENCE = 0.35
#: The service's threshold on this reader's confidence (``PLATE_READER_CONFIDENCE_THRESHOLD``): a read
#: below it is doubtful (kept for review, not acted on). Calibrated on the validation half
#: (``tools/plates_training/calibrate.py``, plates/README.md).
DOUBTFUL_BELOW = 0.46
#: Plate heights (px) the outline is traced at: the fit of a traced outline changes with the
#: resolution (dirt, frames and strokes merge or part), so it is traced twice and the surer read kept.
TRACE_HEIGHTS = (32.0, 96.0)
#: A read this sure ends the search: the candidate's other layouts and its traced outline are not
#: read, nor the other candidates on the same plate. A less sure read (the fifth model reads the
#: plate "M" of d0031 as "H" at 0.88, and as "M" at 0.99 from a wider layout) keeps searching.
SURE = 0.95
#: ``cascade`` (shipped): our recogniser finds and reads the plates, PaddleOCR's PP-OCRv4 recogniser
#: (``ppocr.py``) reads each found plate again and its plate read wins; ``own``: our recogniser alone
#: (the reader up to issue #27, kept to be timed and measured beside it). Chosen on the tuning half
#: (plates/README.md): PP-OCR on every layout of every candidate read no better and took 5-8x the time.
ENGINES = ("cascade", "own")
ENGINE = "cascade"
#: Places whose best read was too unsure to keep (below ``MIN_CONFIDENCE``) that PP-OCR reads too,
#: the surest first: 2 read the tuning half's perturbed photos 0.936 exact, 0 read 0.915 (PP-OCRv6).
RESCUE = 2
MIN_TEXT = 3  # greedy characters that make a candidate worth more layouts and tracing its outline


def _lower_to_plate() -> tuple[float, float, float, float]:
    """(top, bottom, left, right) shares for ``expand_quad`` from a candidate over a double-row
    plate's lower row (GA 36: its characters span 27.5-412.5 x 90-200 mm of the 440 x 220 mm
    plate) to the whole plate with the reader's double-row margin."""
    (w_mm, h_mm), lower = DOUBLE_PLATE_MM, DOUBLE_BOXES_MM[2:]
    x0, y0 = lower[0][0], lower[0][1]
    x1, y1 = lower[-1][0] + lower[-1][2], lower[-1][1] + lower[-1][3]
    mx, my = DOUBLE_QUAD_MARGIN * w_mm, DOUBLE_QUAD_MARGIN * h_mm
    return (y0 + my) / (y1 - y0), (h_mm - y1 + my) / (y1 - y0), (x0 + mx) / (x1 - x0), (w_mm - x1 + mx) / (x1 - x0)


LOWER_TO_PLATE = _lower_to_plate()


def _to_bgr(image: NDArray[np.uint8] | bytes) -> U8:
    if isinstance(image, bytes | bytearray | memoryview):
        buf = np.frombuffer(bytes(image), dtype=np.uint8)
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if img is None:
            raise ValueError("could not decode image bytes")
        return np.asarray(img, dtype=np.uint8)
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image, got {arr.dtype}")
    if arr.ndim == 2:
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 4:
        return np.asarray(cv2.cvtColor(arr, cv2.COLOR_BGRA2BGR), dtype=np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return arr
    raise ValueError(f"unsupported image shape {arr.shape}")


def _variants(c: Candidate) -> list[tuple[F32, bool]]:
    """(quad, double_row) layouts to try for one candidate, most likely first.

    Colour regions often stop short of the plate's ends (frame, dirt, glare), edge regions
    cover only the characters: both are widened; a wider second try catches cut-off ends.
    Double-row layouts get a second width too, the region's own, without side margins: a
    bright mark just beside the plate (a camera's timestamp beside d0016's last "1") falls in
    the margins and is read with that character as "L" or "E".
    """
    aspect = c.width / max(c.height, 1e-3)
    out: list[tuple[F32, bool]] = []
    if c.source == "whole":
        return [(c.quad, False)] if aspect >= 2.2 else [(c.quad, True), (c.quad, False)]
    q = c.quad
    if c.source == "edge":
        q = expand_quad(q, 0.2, 0.2, 0.03, 0.03)
    elif c.source == "green":  # the white-ish top of new-energy plates is often outside the mask
        out.append((expand_quad(q, 0.6, 0.08, 0.05, 0.05), False))
    # a blue region is a single-row plate however squat perspective makes it look
    single = (aspect >= 2.2 or (c.source == "blue" and aspect >= 1.4)) and not (
        c.source == "green" and aspect / 1.68 < 2.2
    )
    if single:
        out.append((expand_quad(q, 0.08, 0.08, 0.05, 0.05), False))
    m = DOUBLE_QUAD_MARGIN
    if aspect <= 2.8:
        out.append((expand_quad(q, m, m, m, m), True))
    if single:
        out.append((expand_quad(q, 0.12, 0.12, 0.12, 0.12), False))
    if aspect <= 2.8:
        out.append((expand_quad(q, m, m, 0.0, 0.0), True))  # last: reached only when no read was sure
    return out


def _outline_variants(outline: F32) -> list[tuple[F32, bool]]:
    """Layouts to try on a plate's traced outline (``detect.refine_quad``): it is the plate's
    ground, so only a thin margin is added; squat outlines may be double-row plates."""
    w, h = quad_size(outline)
    aspect = w / max(h, 1e-3)
    out = [(expand_quad(outline, 0.04, 0.04, 0.02, 0.02), False)]
    if aspect <= 2.8:
        out.append((expand_quad(outline, 0.02, 0.02, 0.02, 0.02), True))
    return out


def _decode(crop: U8, logits: F32, double: bool, greedy: TextResult | None = None) -> TextResult | None:
    """The plate read of a crop; on a green plate (new-energy: eight characters) a seven-character
    read has lost or merged a character, and the eight-character layouts are searched instead,
    unless the read ends in a special character (警, 港, 挂...): such a plate is no new-energy
    plate, whatever colour its ground looks. A sure (``SURE``) seven-character read also stands
    when the eight-character layouts give no read the reader would keep (``MIN_CONFIDENCE``): a
    yellow or blue plate under a green cast. A less sure one does not: on a real green plate
    (d0009 made larger) it displaced the plate's own eight-character read."""
    res = decode_plate(logits, greedy=greedy)
    if res is not None and len(res.text) == 7 and not double and res.text[-1] not in SPECIALS and green_ground(crop):
        eight = decode_plate(logits, 8, greedy)
        if res.confidence >= SURE and (eight is None or eight.confidence < MIN_CONFIDENCE):
            return res
        return eight
    return res


def _lower_row(text: str) -> bool:
    """Whether a single-row read is what a double-row plate's lower row shows: its five serial
    characters, no province."""
    return len(text) == 5 and text[0] not in PROVINCES


def _has_text(crop: U8) -> bool:
    """Cheap rejection of uniform regions: a plate row crosses many character strokes."""
    return row_transitions(as_u8(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY))) >= 6


def _inside(q: F32, p: NDArray[np.float32]) -> bool:
    return cv2.pointPolygonTest(q.reshape(-1, 1, 2), (float(p[0]), float(p[1])), False) >= 0


def _same_place(a: F32, b: F32) -> bool:
    """Two quads are the same plate when either holds the other's centre."""
    return _inside(a, b.mean(axis=0)) or _inside(b, a.mean(axis=0))


class _Read(NamedTuple):
    res: TextResult
    quad: F32
    double: bool
    logits: F32
    engine: str = "own"  # the recogniser whose logits these are (``ENGINES``)


def _covered(quad: F32, found: list[_Read]) -> bool:
    """A candidate on a plate already read this surely need not be read again."""
    return any(r.res.confidence >= SURE and _same_place(r.quad, quad) for r in found)


def apply_thread_limit() -> None:
    """Hold OpenCV to ``OMP_NUM_THREADS`` threads when it is set.

    OpenCV's own thread pool (pthreads in the opencv-python wheels) ignores the variable, so
    ``OMP_NUM_THREADS=1`` alone leaves warps, morphology and the recogniser on every core. The
    pool is process-wide: this changes it for every OpenCV call in the process.
    """
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        cv2.setNumThreads(int(value))


class PlateReader:
    def __init__(
        self,
        model_path: str | None = None,
        min_confidence: float = MIN_CONFIDENCE,
        province_model: str | Path | None = PROVINCE_MODEL,
        engine: str = ENGINE,
    ) -> None:
        """``province_model=None`` keeps the recogniser's own province reads (it re-reads only reads
        of our own recogniser, whose frames it is placed by). ``engine`` is one of ``ENGINES``."""
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
        apply_thread_limit()
        self.engine = engine
        self.recognizer = Recognizer(model_path or DEFAULT_MODEL)
        self.ppocr = PPOCRRecognizer() if engine == "cascade" else None
        self.min_confidence = min_confidence
        self.province = None if province_model is None else ProvinceClassifier(province_model)

    def _read_candidate(self, img: U8, cand: Candidate) -> _Read | None:
        """The surest plate read of one candidate over its layouts; when none is sure
        (``SURE``) but one showed characters, the plate's traced outline is read too. A single-row
        layout that shows a double-row plate's lower row (``_lower_row``) has the whole plate
        read from the candidate first (``LOWER_TO_PLATE``).
        Once a layout shows fewer than ``MIN_TEXT`` characters, the candidate's later layouts of the
        same rows (single or double) are not read: on the 60 real photos and 40 crops this changed
        no reading and saved a fifth of the recogniser runs."""
        best: _Read | None = None
        texty: F32 | None = None  # a single-row quad that showed some characters
        lower = False  # a single-row layout showed a double-row plate's lower row
        barren: set[bool] = set()  # row layouts (double or not) that showed too few characters
        for quad, double in _variants(cand):
            if double in barren:
                continue
            crop = warp_plate(img, quad, double)
            if not _has_text(crop):
                continue
            greedy, res, logits, engine = self._read_layout(img, quad, double, crop)
            if len(greedy.text) < MIN_TEXT:
                barren.add(double)
            if texty is None and not double and len(greedy.text) >= MIN_TEXT:
                texty = quad
            lower = lower or (not double and _lower_row(greedy.text))
            if res is None:
                continue
            if best is None or res.confidence > best.res.confidence:
                best = _Read(res, quad, double, logits, engine)
            if best.res.confidence >= SURE:
                return best
        if lower:
            best = self._surer(img, expand_quad(cand.quad, *LOWER_TO_PLATE), True, best)
            if best is not None and best.res.confidence >= SURE:
                return best
        if texty is None:
            return best
        traced: set[float] = set()
        for trace_height in TRACE_HEIGHTS:
            scale = trace_scale(texty, trace_height)
            if scale in traced:  # a plate no higher than both heights: the same outline, the same reads
                continue
            traced.add(scale)
            outline = refine_quad(img, texty, trace_height)
            if outline is None:
                continue
            for quad, double in _outline_variants(outline):
                best = self._surer(img, quad, double, best)
        return best

    def _read_layout(
        self, img: U8, quad: F32, double: bool, crop: U8
    ) -> tuple[TextResult, TextResult | None, F32, str]:
        """(greedy read, plate read or None, logits, engine) of one layout by our recogniser."""
        logits = self.recognizer.logits([crop])[0]
        greedy = ctc_decode(logits)
        return greedy, _decode(crop, logits, double, greedy), logits, "own"

    def _surer(self, img: U8, quad: F32, double: bool, best: _Read | None) -> _Read | None:
        """The read of ``quad`` (its double-row layout if ``double``) or ``best``, whichever is surer."""
        crop = warp_plate(img, quad, double)
        _, res, logits, engine = self._read_layout(img, quad, double, crop)
        if res is not None and (best is None or res.confidence > best.res.confidence):
            return _Read(res, quad, double, logits, engine)
        return best

    def _ppocr_read(self, img: U8, r: _Read) -> _Read | None:
        """PP-OCR's plate read of the place of ``r``, or None if it reads no plate there."""
        assert self.ppocr is not None
        logits = self.ppocr.read_quad(img, r.quad, r.double)
        res = _decode(warp_plate(img, r.quad, r.double), logits, r.double)
        return None if res is None else _Read(res, r.quad, r.double, logits, "ppocr")

    def _cascade(self, img: U8, kept: list[_Read], weak: list[_Read]) -> list[_Read]:
        """Our recogniser finds the plates; PP-OCR reads each of them again, and the
        ``RESCUE`` likeliest places whose read was too unsure to keep."""
        out: list[_Read] = []
        for r in kept:
            p = self._ppocr_read(img, r)  # its plate read wins (0.936 on the tuning half's perturbed photos,
            # as the surer of the two reads did; its confidence is then the one the service judges)
            out.append(p if p is not None and p.res.confidence >= self.min_confidence else r)
        rescued = 0
        for r in sorted(weak, key=lambda r: -r.res.confidence):
            if rescued >= RESCUE:
                break
            if any(_same_place(k.quad, r.quad) for k in out):
                continue
            rescued += 1
            p = self._ppocr_read(img, r)
            if p is not None and p.res.confidence >= self.min_confidence:
                out.append(p)
        return _one_per_plate(out)

    def read(self, image: NDArray[np.uint8] | bytes) -> list[PlateReading]:
        img = _to_bgr(image)
        h, w = img.shape[:2]
        f = 1.0
        if max(h, w) > MAX_SIDE:
            f = MAX_SIDE / max(h, w)
            img = as_u8(cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA))
        found: list[_Read] = []
        cands = find_candidates(img)
        ih, iw = img.shape[:2]
        if 1.8 <= iw / ih <= 6.0 and ih <= 160:  # the photo is itself a plate crop
            whole = np.array([[0, 0], [iw, 0], [iw, ih], [0, ih]], np.float32)
            cands.insert(0, Candidate(whole, "whole", 1.0))
        weak: list[_Read] = []
        for cand in cands:
            if _covered(cand.quad, found):
                continue
            best = self._read_candidate(img, cand)
            if best is not None and best.res.confidence >= self.min_confidence:
                found.append(best)
            elif best is not None:
                weak.append(best)
        kept = _one_per_plate(found)
        if self.engine == "cascade":
            kept = self._cascade(img, kept, weak)
        out: list[PlateReading] = []
        for res, quad, double, logits, engine in kept:
            crop = warp_plate(img, quad, double)
            if self.province is not None and engine == "own":
                res = self.province.reread(img, quad, softmax(logits), res, double)
            color = reading_color(crop, res.text)
            corners = tuple((float(x) / f, float(y) / f) for x, y in quad)
            out.append(PlateReading(res.text, color, res.confidence, res.char_confidences, corners))
        return out


def _one_per_plate(found: list[_Read]) -> list[_Read]:
    """The surest read of each place and text."""
    kept: list[_Read] = []
    for r in sorted(found, key=lambda r: -r.res.confidence):
        if any(_same_place(k.quad, r.quad) or k.res.text == r.res.text for k in kept):
            continue
        kept.append(r)
    return kept


_default: PlateReader | None = None
_default_lock = threading.Lock()


def default_reader() -> PlateReader:
    global _default
    with _default_lock:
        if _default is None:
            _default = PlateReader()
        return _default


def read_plates(image: NDArray[np.uint8] | bytes) -> list[PlateReading]:
    """Every plate in a BGR image (or encoded image bytes), at most one reading per plate."""
    return default_reader().read(image)
