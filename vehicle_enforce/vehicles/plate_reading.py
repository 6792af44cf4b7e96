"""Read licence plates from an uploaded camera photo and, on request, match them to the registry.

One service for every caller: the JSON API (`POST /api/v1/plates/read`), the station operator's
roadside-test page and the background re-read of pending passes all load the reader through `reader()`.
The photo is checked before the reader sees it: size, then type by its first bytes, then its pixel
count from the header (a small file can declare a huge image), then a full decode.
"""

from __future__ import annotations

import io
import logging
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from plates import MatchResult
from vehicle_enforce.core.errors import BadRequest, PayloadTooLarge, ServiceError, UnsupportedMedia
from vehicle_enforce.vehicles import matching

log = logging.getLogger(__name__)

FIELD = "image"

#: Test seam for wiring tests only: when set, used instead of `plates.reading.read_plates`.
PLATE_READER_OVERRIDE: Callable[[Any], list[Any]] | None = None


class ReaderUnavailable(ServiceError):
    status, code = 503, "plate_reader_unavailable"


def reader() -> Callable[[Any], list[Any]] | None:
    """The plate reader (encoded bytes or a BGR array in, readings out), or None when it cannot load."""
    if PLATE_READER_OVERRIDE is not None:
        return PLATE_READER_OVERRIDE
    try:
        from plates.reading import read_plates  # heavy (OpenCV + model): load only when a photo needs it
    except ImportError as exc:
        log.warning("plate reader unavailable (%s)", exc)
        return None
    return read_plates


def reader_threshold() -> float:
    """The confidence below which our reader's read is doubtful (for review, never dropped): its own
    threshold, calibrated on the validation photos, apart from the one judging devices' confidences."""
    configured = current_app.config.get("PLATE_READER_CONFIDENCE_THRESHOLD")
    if configured is not None:
        return float(configured)
    from plates.reading.reader import DOUBTFUL_BELOW

    return DOUBTFUL_BELOW


def max_bytes() -> int:
    return int(current_app.config["PLATE_IMAGE_MAX_BYTES"])


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"image is larger than the {limit} byte limit", {FIELD: f"larger than {limit} bytes"})


def _max_pixels() -> int:
    return int(current_app.config["PLATE_IMAGE_MAX_PIXELS"])


def image_kind(content: bytes) -> str | None:
    """The photo format from its first bytes: jpeg, png, bmp, webp, or None for anything else."""
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"BM") and len(content) >= 26:
        return "bmp"
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "webp"
    return None


def _declared_pixels(content: bytes) -> int | None:
    """Width x height from the header alone (Pillow reads no pixel data here), None when unreadable."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: the limit below decides
            with Image.open(io.BytesIO(content)) as img:
                width, height = img.size
    except Image.DecompressionBombError:  # Pillow's own limit (~179 MP) is far above ours
        return sys.maxsize
    except Exception:  # Pillow raises many types for a broken header; all mean "cannot read it"
        return None
    return int(width) * int(height)


def decode_photo(content: bytes | None) -> Any:
    """Check an uploaded photo and decode it to a BGR array; refusals name the `image` field."""
    import cv2
    import numpy as np

    if not content:
        raise BadRequest("multipart field 'image' is required", {FIELD: "field required"})
    limit = max_bytes()
    if len(content) > limit:
        raise too_large(limit)
    if image_kind(content) is None:
        raise UnsupportedMedia(
            "image must be a JPEG, PNG, BMP or WebP photo", {FIELD: "not a JPEG, PNG, BMP or WebP image"}
        )
    pixels = _declared_pixels(content)
    if pixels is None:
        raise BadRequest("image could not be decoded", {FIELD: "could not be decoded"})
    if pixels > _max_pixels():
        raise PayloadTooLarge(f"image declares more than {_max_pixels()} pixels", {FIELD: "too many pixels"})
    img = cv2.imdecode(np.frombuffer(content, dtype=np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise BadRequest("image could not be decoded", {FIELD: "could not be decoded"})
    return img


@dataclass(frozen=True)
class PhotoRead:
    readings: list[Any]  # plates.reading.PlateReading, most confident first
    matches: list[MatchResult] | None  # one per reading when matching was asked for
    elapsed_ms: float  # decoding and reading, not matching

    @property
    def best(self) -> Any | None:
        return self.readings[0] if self.readings else None


def read_photo(content: bytes | None, *, match: bool = False) -> PhotoRead:
    """Check and read a photo: every plate in it, most confident first, each matched when asked."""
    started = time.perf_counter()
    img = decode_photo(content)
    read = reader()
    if read is None:
        raise ReaderUnavailable("the plate reader is not installed on this server")
    readings = sorted(read(img), key=lambda r: r.confidence, reverse=True)
    elapsed = (time.perf_counter() - started) * 1000
    matches = [matching.match_plate(r.plate, r.color) for r in readings] if match else None
    return PhotoRead(readings, matches, elapsed)


def reading_json(reading: Any, match: MatchResult | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "plate": reading.plate,
        "color": reading.color,
        "confidence": round(float(reading.confidence), 4),
        "doubtful": float(reading.confidence) < reader_threshold(),
        "char_confidences": [round(float(c), 4) for c in reading.char_confidences],
        "corners": [[round(float(x), 1), round(float(y), 1)] for x, y in reading.corners],
    }
    if match is not None:
        data["match"] = matching.match_json(match)
    return data


def photo_read_json(result: PhotoRead) -> dict[str, Any]:
    matches: Sequence[MatchResult | None] = result.matches or [None] * len(result.readings)
    return {
        "readings": [reading_json(r, m) for r, m in zip(result.readings, matches, strict=True)],
        "elapsed_ms": round(result.elapsed_ms, 1),
    }
