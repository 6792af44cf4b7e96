"""Evaluate the reader on a directory of labelled photos (``DIR/labels.csv``: file,plate,color)."""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from plates.reading._np import U8, as_u8
from plates.reading.reader import read_plates
from plates.reading.types import PlateReading

ReadFn = Callable[[U8], list[PlateReading]]
Transform = Callable[[U8], U8]
#: Edits within which a reading counts as a misread of the labelled plate (for its colour)
#: rather than a reading of another plate in the photo.
NEAR_MISS = 2


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def char_accuracy(truth: str, read: str) -> float:
    if not truth:
        return 0.0
    return max(0.0, 1.0 - levenshtein(truth, read) / len(truth))


@dataclass(frozen=True)
class ImageResult:
    file: str
    plate: str
    color: str
    readings: tuple[PlateReading, ...]
    ms: float
    error: str | None = None

    @property
    def matched(self) -> PlateReading | None:
        return next((r for r in self.readings if r.plate == self.plate), None)

    @property
    def exact(self) -> bool:
        return self.matched is not None

    @property
    def char_accuracy(self) -> float:
        return max((char_accuracy(self.plate, r.plate) for r in self.readings), default=0.0)

    @property
    def color_ok(self) -> bool:
        m = self.matched
        return m is not None and m.color == self.color

    @property
    def plate_reading(self) -> PlateReading | None:
        """This plate's reading, right or misread: the exact one, else the reading closest to the
        label if it is at most ``NEAR_MISS`` edits away (a misread of this plate, not another plate)."""
        if self.matched is not None:
            return self.matched
        near = [(levenshtein(self.plate, r.plate), i) for i, r in enumerate(self.readings)]
        d, i = min(near, default=(NEAR_MISS + 1, -1))
        return self.readings[i] if d <= NEAR_MISS else None

    @property
    def plate_color_ok(self) -> bool:
        """The plate's colour is right on its reading, even where a character is misread."""
        m = self.plate_reading
        return m is not None and m.color == self.color

    @property
    def false_readings(self) -> int:
        """Readings that are not the labelled plate (may include other, unlabelled plates)."""
        return sum(1 for r in self.readings if r.plate != self.plate)

    def mistakes(self) -> list[str]:
        got = ", ".join(f"{r.plate}/{r.color}/{r.confidence:.2f}" for r in self.readings) or "nothing"
        out: list[str] = []
        if self.error:
            out.append(f"error: {self.error}")
        if not self.exact:
            out.append(f"plate {self.plate} not read (got {got})")
        read = self.plate_reading
        if read is not None and read.color != self.color:
            out.append(f"colour {self.color} read as {read.color}")
        if self.false_readings:
            out.append(f"{self.false_readings} other reading(s): {got}")
        return out


@dataclass
class EvalReport:
    results: list[ImageResult] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, float | int]:
        n = len(self.results)
        ms = sorted(r.ms for r in self.results)
        return {
            "images": n,
            "exact": round(sum(r.exact for r in self.results) / n, 4) if n else 0.0,
            "char_accuracy": round(sum(r.char_accuracy for r in self.results) / n, 4) if n else 0.0,
            "color_accuracy": round(sum(r.color_ok for r in self.results) / n, 4) if n else 0.0,
            "plate_color_accuracy": round(sum(r.plate_color_ok for r in self.results) / n, 4) if n else 0.0,
            "false_readings_per_image": round(sum(r.false_readings for r in self.results) / n, 4) if n else 0.0,
            "median_ms": round(statistics.median(ms), 2) if ms else 0.0,
            "p95_ms": round(ms[min(n - 1, int(np.ceil(0.95 * n)) - 1)], 2) if ms else 0.0,
        }

    def mistake_lines(self) -> list[str]:
        return [f"{r.file}: {m}" for r in self.results for m in r.mistakes()]


#: The fixed split of the 60 shared photos into a tuning and a validation half (``plates/README.md``).
SPLIT_FILE = Path(__file__).resolve().parents[1] / "validation_split.csv"
HALVES = ("tuning", "validation")


def split_files(half: str, split_file: Path = SPLIT_FILE) -> frozenset[str]:
    """The photo files of one half (``HALVES``) of the fixed split."""
    if half not in HALVES:
        raise ValueError(f"half must be one of {HALVES}, not {half!r}")
    with split_file.open(encoding="utf-8", newline="") as fh:
        return frozenset(row["file"] for row in csv.DictReader(fh) if row["half"] == half)


def load_labels(path: Path, only: frozenset[str] | None = None) -> list[tuple[str, str, str]]:
    """(file, plate, colour) of every row of ``path/labels.csv`` (of the files in ``only`` if given)."""
    with (path / "labels.csv").open(encoding="utf-8", newline="") as fh:
        rows = [(row["file"], row["plate"], row.get("color") or "unknown") for row in csv.DictReader(fh)]
    return rows if only is None else [r for r in rows if r[0] in only]


def resize_photo(
    img: NDArray[np.uint8], max_side: int | None = None, long_side: int | None = None
) -> NDArray[np.uint8]:
    """``img`` scaled so its long side is ``long_side`` px (up or down), or at most ``max_side`` px."""
    side = max(img.shape[:2])
    target = long_side or (max_side if max_side and side > max_side else None)
    if not target or target == side:
        return img
    return _rescale(img, target / side)


def _rescale(img: U8, s: float) -> U8:
    """``img`` scaled by ``s``: area averaging down, bilinear up."""
    return as_u8(cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR))


def _scale(f: float) -> Transform:
    return lambda img: _rescale(img, f)


def _jpeg(quality: int) -> Transform:
    def encode(img: U8) -> U8:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        return as_u8(cv2.imdecode(buf, cv2.IMREAD_COLOR)) if ok else img

    return encode


def _exposure(gain: float, offset: float) -> Transform:
    return lambda img: as_u8(cv2.convertScaleAbs(img, alpha=gain, beta=offset))


def _roll(degrees: float) -> Transform:
    def rotate(img: U8) -> U8:
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
        return as_u8(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))

    return rotate


def _reframe(share: float) -> Transform:
    return lambda img: np.ascontiguousarray(img[round(img.shape[0] * share) :, round(img.shape[1] * share) :])


#: Mild changes a station photo may undergo on its way (scale, re-encoding, exposure, a little
#: blur, a slight roll, other framing). A reader tuned on a small labelled set can read a photo and
#: miss its variants (a decision near a threshold flips), so the share read exactly over all the
#: variants (``evaluate_perturbed``) says more about photos it has not seen than the set alone.
PERTURBATIONS: dict[str, Transform] = {
    "scale_0.8": _scale(0.8),
    "scale_0.9": _scale(0.9),
    "scale_1.1": _scale(1.1),
    "jpeg_60": _jpeg(60),
    "jpeg_80": _jpeg(80),
    "darker": _exposure(0.8, 0.0),
    "brighter": _exposure(1.1, 15.0),
    "blur": lambda img: as_u8(cv2.GaussianBlur(img, (3, 3), 0)),
    "roll_+2": _roll(2.0),
    "roll_-2": _roll(-2.0),
    "reframed": _reframe(0.03),
}


def _labelled_photos(
    root: Path, max_side: int | None, long_side: int | None, only: frozenset[str] | None = None
) -> Iterator[tuple[str, str, str, U8 | None]]:
    """(file, plate, colour, photo scaled by ``resize_photo``, or None if it cannot be read) per label."""
    for file, plate, color in load_labels(root, only):
        raw = cv2.imread(str(root / file), cv2.IMREAD_COLOR)
        yield file, plate, color, None if raw is None else resize_photo(as_u8(raw), max_side, long_side)


def _read_into(report: EvalReport, fn: ReadFn, file: str, plate: str, color: str, img: U8 | None) -> None:
    if img is None:
        report.results.append(ImageResult(file, plate, color, (), 0.0, "cannot read image"))
        return
    t0 = time.perf_counter()
    readings = fn(img)
    ms = (time.perf_counter() - t0) * 1000
    report.results.append(ImageResult(file, plate, color, tuple(readings), ms))


def evaluate_dir(
    path: str | Path,
    read: ReadFn | None = None,
    max_side: int | None = None,
    long_side: int | None = None,
    only: frozenset[str] | None = None,
) -> EvalReport:
    """Run the reader on every labelled image of ``path`` (only ``labels.csv`` rows are used, and of
    them only the files in ``only`` if given), each scaled by ``resize_photo`` first."""
    fn: ReadFn = read or read_plates
    report = EvalReport()
    for file, plate, color, img in _labelled_photos(Path(path), max_side, long_side, only):
        _read_into(report, fn, file, plate, color, img)
    return report


def evaluate_perturbed(
    path: str | Path,
    read: ReadFn | None = None,
    max_side: int | None = None,
    long_side: int | None = None,
    only: frozenset[str] | None = None,
) -> dict[str, float]:
    """The exact share of ``path`` (of the files in ``only`` if given) under each of
    ``PERTURBATIONS``, and their mean (``"mean"``). Each photo is decoded once and read under every change."""
    fn: ReadFn = read or read_plates
    reports = {name: EvalReport() for name in PERTURBATIONS}
    for file, plate, color, img in _labelled_photos(Path(path), max_side, long_side, only):
        for name, change in PERTURBATIONS.items():
            _read_into(reports[name], fn, file, plate, color, None if img is None else change(img))
    out = {name: float(report.summary["exact"]) for name, report in reports.items()}
    out["mean"] = round(sum(out.values()) / len(PERTURBATIONS), 4)
    return out
