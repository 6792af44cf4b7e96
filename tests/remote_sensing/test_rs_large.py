"""A large generated vendor-A file is streamed in chunks, never loaded whole."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import pytest

from remote_sensing import PassRecord, judge_pass, open_reader

HEADER = (
    "JLBH,DWBH,CDXH,JCSJ,HPHM,CPYS,RLZL,CLSD,CLJSD,VSP,FS,FX,HJWD,SD,DQY,CO2JG,COJG,HCJG,NOJG,BTGDJG,LGMHD,PDJG,TP1,TP2"
)
ROWS = 200_000


def write_large(path: Path, rows: int, seed: int = 7) -> int:
    """Write ``rows`` GBK rows; every 1000th row has a non-numeric speed. Return the count of those."""
    rng = random.Random(seed)
    bad = 0
    with path.open("w", encoding="gbk", newline="") as fh:
        fh.write(HEADER + "\n")
        for i in range(rows):
            speed = "abc" if i % 1000 == 999 else f"{rng.uniform(0, 130):.1f}"
            bad += speed == "abc"
            minute, second = divmod(i % 3600, 60)
            fh.write(
                f"R{i:09d},JC-RS-01,{i % 3 + 1},2019-11-01 {i % 24:02d}:{minute:02d}:{second:02d},晋E{i % 100000:05d},"
                f"{i % 5},B,{speed},{rng.uniform(-2.5, 2.5):.2f},{rng.uniform(-3, 24):.1f},{rng.uniform(0, 8):.1f},NE,"
                f"10.0,50.0,90.0,{rng.uniform(0.5, 12):.2f},0.2,100.0,{rng.uniform(0, 2600):.0f},"
                f"{rng.uniform(0, 70):.1f},{rng.randint(0, 3)},1,{i}_1.jpg,{i}_2.jpg\n"
            )
    return bad


@pytest.mark.slow
def test_large_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    bad = write_large(path, ROWS)
    size = path.stat().st_size
    assert size > 25_000_000

    counts = {"pass": 0, "exceed": 0, "invalid": 0, "error": 0}
    last_row = 0
    items = open_reader(path, "hj845-csv", chunksize=5_000)
    tracemalloc.start()  # trace the first eight chunks only: tracing all 200k rows is slow
    try:
        for row, item in items:
            assert row == last_row + 1 or last_row == 0
            last_row = row
            if isinstance(item, PassRecord):
                counts[judge_pass(item).verdict] += 1
            else:
                assert item.column == "CLSD"
                counts["error"] += 1
            if row == 40_000:
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
    finally:
        tracemalloc.stop()

    assert last_row == ROWS + 1
    assert counts["error"] == bad
    assert sum(counts.values()) == ROWS
    assert min(counts["pass"], counts["exceed"], counts["invalid"]) > 0
    # Holding every row (or the whole DataFrame of strings) would take far more than the file size.
    assert peak < size / 2, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
