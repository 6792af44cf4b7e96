"""Split the 60 shared plate photos once into a tuning half and a validation half.

Run once (2026-12-07, issue #27) before any measurement of the new reader; the output
``plates/validation_split.csv`` is committed and must not be regenerated or edited after
results have been seen.  Stratified by plate colour and by the ``night`` condition tag, seeded::

    python -m tools.plates_training.make_split /path/to/shared/data/plates > plates/validation_split.csv
"""

from __future__ import annotations

import csv
import random
import sys
from collections import defaultdict
from pathlib import Path

SEED = 27


def split(labels: Path) -> list[tuple[str, str]]:
    with labels.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    strata: dict[tuple[str, bool], list[str]] = defaultdict(list)
    for row in rows:
        strata[(row["color"], "night" in row["tags"].split(";"))].append(row["file"])
    rng = random.Random(SEED)
    out: list[tuple[str, str]] = []
    flip = 0  # odd-sized strata give their extra photo to the halves in turn
    for key in sorted(strata):
        files = sorted(strata[key])
        rng.shuffle(files)
        n_tune = len(files) // 2 + (len(files) % 2 if flip == 0 else 0)
        flip ^= len(files) % 2
        out += [(f, "tuning") for f in files[:n_tune]] + [(f, "validation") for f in files[n_tune:]]
    return sorted(out)


def main() -> None:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["file", "half"])
    w.writerows(split(Path(sys.argv[1]) / "labels.csv"))


if __name__ == "__main__":
    main()
