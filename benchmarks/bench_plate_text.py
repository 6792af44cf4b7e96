"""Benchmark plate-text normalisation and candidate ranking: ``python -m benchmarks.bench_plate_text``.

--scale 1.0 runs 200,000 normalisations, 200,000 confusion keys and 50,000 rankings against the rows a
key lookup returns (3 per read), plus 500 rankings scanning a 2,000-plate registry (what the key
lookup avoids). Run from the repository root (or with PYTHONPATH set to it). Prints ops/s; asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from collections.abc import Callable

from benchmarks._common import report, scaled
from plates import KnownPlate, PlateColor, confusion_key, normalize_plate, rank_candidates
from plates.matching import CONFUSION_CLASSES

SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
_CLASS_OF = {ch: members for members in CONFUSION_CLASSES for ch in members}


def make_registry(rng: random.Random, size: int) -> list[KnownPlate]:
    plates: list[KnownPlate] = []
    for vehicle_id in range(size):
        plate = "晋E" + "".join(rng.choice(SERIAL) for _ in range(5))
        plates.append(KnownPlate(vehicle_id, plate, rng.choice([PlateColor.YELLOW, PlateColor.BLUE])))
    return plates


def misread(rng: random.Random, plate: str) -> str:
    chars = list(plate)
    if rng.random() < 0.2:
        chars[0] = rng.choice("普陕冀豫")
    for i in range(2, len(chars)):
        if chars[i] in _CLASS_OF and rng.random() < 0.3:
            chars[i] = rng.choice(_CLASS_OF[chars[i]])
    text = "".join(chars)
    return f"{text[:2]}·{text[2:]}" if rng.random() < 0.5 else text


def timed(label: str, ops: int, run: Callable[[], object]) -> None:
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    report(label, ops=ops, seconds=elapsed, ops_per_s=ops / elapsed if elapsed else float("inf"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size (CI smoke: 0.001)")
    args = parser.parse_args(argv)
    rng = random.Random(1)

    registry = make_registry(rng, 2_000)
    by_key: dict[str, list[KnownPlate]] = defaultdict(list)
    for row in registry:
        by_key[confusion_key(row.plate)].append(row)

    n_text = scaled(200_000, args.scale, minimum=100)
    raw = [misread(rng, rng.choice(registry).plate) for _ in range(1_000)]
    texts = [raw[i % len(raw)] for i in range(n_text)]
    timed("normalize_plate", n_text, lambda: [normalize_plate(t) for t in texts])
    timed("confusion_key", n_text, lambda: [confusion_key(t) for t in texts])

    # A key lookup returns the plates sharing the read's key; pad to 3 rows, as a busy key would.
    n_rank = scaled(50_000, args.scale, minimum=50)
    jobs = []
    for i in range(n_rank):
        read = raw[i % len(raw)]
        rows = by_key.get(confusion_key(read), [])[:3]
        rows += rng.sample(registry, 3 - len(rows))
        jobs.append((read, rows))
    timed("rank_candidates_keyed_3_rows", n_rank, lambda: [rank_candidates(r, "yellow", k) for r, k in jobs])

    n_scan = scaled(500, args.scale, minimum=5)
    timed(
        "rank_candidates_scan_2000_rows",
        n_scan,
        lambda: [rank_candidates(raw[i % len(raw)], None, registry) for i in range(n_scan)],
    )


if __name__ == "__main__":
    main()
