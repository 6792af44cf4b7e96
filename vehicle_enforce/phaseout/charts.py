"""The phase-out chart, drawn once per set of inputs and kept in memory.

Drawing the small multiples with matplotlib takes about a second; the numbers behind them (the progress
report and the cumulative counts per township and day, for the as-of date and the caller's townships)
take milliseconds of grouped SQL. The chart is keyed by a digest of exactly those numbers and the
layout: the same as-of date over unchanged data is answered from memory (and the browser revalidates
it by ETag), while a newly recorded action, quota or milestone changes the digest and redraws it — a
cached chart is never stale.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from vehicle_enforce.phaseout import progress, reports

#: Charts kept per process (a few as-of dates × scopes × layouts; a PNG is 100-300 kB).
CACHE_SIZE = 48
_CACHE: OrderedDict[str, bytes] = OrderedDict()
_LOCK = threading.Lock()

#: Columns of small multiples per layout: the desktop grid, one column for a phone's narrow screen.
LAYOUT_COLUMNS = {"wide": None, "phone": 1}


@dataclass(frozen=True)
class Chart:
    body: bytes
    digest: str  # of the chart's inputs: the response's ETag
    mimetype: str


def chart(
    as_of: date,
    fmt: str = "png",
    *,
    layout: str = "wide",
    period_code: str | None = None,
    township_ids: Collection[int] | None = None,
    one_township: bool = False,
) -> Chart:
    """The progress chart of the caller's townships as of `as_of`, drawn only when its inputs changed."""
    report, cumulative = progress.cumulative_by_township(
        as_of, period_code=period_code, township_ids=township_ids, one_township=one_township
    )
    inputs = [fmt, layout, report, cumulative.to_dict("split")]
    digest = hashlib.sha256(json.dumps(inputs, default=str, sort_keys=True).encode()).hexdigest()[:32]
    with _LOCK:
        body = _CACHE.get(digest)
        if body is not None:
            _CACHE.move_to_end(digest)
    if body is None:
        body = reports.progress_chart(report, cumulative, fmt, columns=LAYOUT_COLUMNS.get(layout))
        with _LOCK:
            _CACHE[digest] = body
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return Chart(body, digest, "image/png" if fmt == "png" else "image/svg+xml")


def clear() -> None:
    """Forget every kept chart (tests)."""
    with _LOCK:
        _CACHE.clear()
