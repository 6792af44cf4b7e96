"""Benchmark the vendor-A reader and pass judging: ``python benchmarks/bench_rs_reader.py --scale 0.2``.

--scale 1.0 generates a 1,000,000-row HJ 845 CSV (GBK) in a temp dir (``--rows N`` sets N directly),
streams and judges every row, and prints rows/s and peak RSS (resource.getrusage). Printing only; no
thresholds. Self-contained, so it runs as a script or as ``python -m benchmarks.bench_rs_reader``.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from remote_sensing import PassRecord, judge_pass, load_rules, open_reader

FULL_ROWS = 1_000_000
HEADER = (
    "JLBH,DWBH,CDXH,JCSJ,HPHM,CPYS,RLZL,CLSD,CLJSD,VSP,FS,FX,HJWD,SD,DQY,CO2JG,COJG,HCJG,NOJG,BTGDJG,LGMHD,PDJG,TP1,TP2"
)


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Write ``rows`` vendor-A rows with realistic spreads (about 1 in 1000 unparseable)."""
    rng = random.Random(seed)
    with path.open("w", encoding="gbk", newline="") as fh:
        fh.write(HEADER + "\n")
        for i in range(rows):
            speed = "abc" if i % 1000 == 999 else f"{rng.uniform(0, 130):.1f}"
            minute, second = divmod(i % 3600, 60)
            fh.write(
                f"{20191101000000 + i},JC-RS-01,{i % 3 + 1},2019-11-01 {i % 24:02d}:{minute:02d}:{second:02d},"
                f"晋E{i % 100000:05d},{i % 5},B,{speed},{rng.uniform(-2.5, 2.5):.2f},{rng.uniform(-3, 24):.1f},"
                f"{rng.uniform(0, 8):.1f},NE,10.0,50.0,90.0,{rng.uniform(0.5, 12):.2f},0.2,100.0,"
                f"{rng.uniform(0, 2600):.0f},{rng.uniform(0, 70):.1f},{rng.randint(0, 3)},{i % 3},"
                f"{i}_1.jpg,{i}_2.jpg\n"
            )


def peak_rss_mb() -> float:
    """Return this process's peak RSS in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1,000,000 rows (CI smoke: 0.001)")
    parser.add_argument("--rows", type=int, default=None, help="rows to generate (overrides --scale)")
    parser.add_argument("--chunksize", type=int, default=20_000)
    args = parser.parse_args(argv)
    rows = args.rows if args.rows is not None else max(1_000, int(FULL_ROWS * args.scale))

    rules = load_rules()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_vendor_a.csv"
        start = time.perf_counter()
        generate(path, rows)
        generated = time.perf_counter() - start
        rss_before = peak_rss_mb()

        counts = {"pass": 0, "exceed": 0, "invalid": 0, "error": 0}
        start = time.perf_counter()
        for _, item in open_reader(path, "hj845-csv", chunksize=args.chunksize):
            if isinstance(item, PassRecord):
                counts[judge_pass(item, rules).verdict] += 1
            else:
                counts["error"] += 1
        elapsed = time.perf_counter() - start

        size_mb = path.stat().st_size / 1e6
    print(
        f"bench_rs_reader rows={rows} file_mb={size_mb:.1f} generate_s={generated:.2f} read_judge_s={elapsed:.2f} "
        f"rows_per_s={rows / elapsed:.0f} peak_rss_mb={peak_rss_mb():.1f} rss_before_read_mb={rss_before:.1f}",
        flush=True,
    )
    print("bench_rs_reader verdicts " + " ".join(f"{k}={v}" for k, v in counts.items()), flush=True)


if __name__ == "__main__":
    main()
