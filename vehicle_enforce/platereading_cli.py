"""``vehicle-enforce plates ...``: read licence plates from photos and evaluate the reader."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click


@click.group("plates")
def plates() -> None:
    """Chinese licence plate reading (OpenCV)."""


@plates.command("read")
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def read_cmd(images: tuple[Path, ...]) -> None:
    """Print one JSON object per IMAGE with every plate read in it."""
    from plates.reading.reader import read_plates

    for path in images:
        t0 = time.perf_counter()
        try:
            readings = read_plates(path.read_bytes())
        except ValueError as exc:
            click.echo(json.dumps({"image": str(path), "error": str(exc)}, ensure_ascii=False))
            continue
        ms = (time.perf_counter() - t0) * 1000
        click.echo(
            json.dumps(
                {"image": str(path), "ms": round(ms, 1), "plates": [r.to_dict() for r in readings]},
                ensure_ascii=False,
            )
        )


@plates.command("eval")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--max-side", type=int, default=None, help="Downscale photos so the long side is at most this.")
@click.option(
    "--long-side",
    type=int,
    default=None,
    help="Scale every photo, up or down, to this long side (the issue times 1280).",
)
@click.option(
    "--perturb",
    is_flag=True,
    help="Also read every photo under mild changes (scale, JPEG, exposure, blur, roll, framing): prints "
    "the exact share under each and adds their mean to the summary as perturbed_exact.",
)
@click.option(
    "--half",
    type=click.Choice(["tuning", "validation"]),
    default=None,
    help="Only the photos of this half of the fixed split of the shared photos (plates/validation_split.csv).",
)
def eval_cmd(directory: Path, max_side: int | None, long_side: int | None, perturb: bool, half: str | None) -> None:
    """Evaluate on DIRECTORY/labels.csv: per-image mistakes, then one JSON summary line."""
    from plates.reading.evaluate import evaluate_dir, evaluate_perturbed, split_files

    only = split_files(half) if half else None
    report = evaluate_dir(directory, max_side=max_side, long_side=long_side, only=only)
    for line in report.mistake_lines():
        click.echo(line)
    summary: dict[str, float | int] = dict(report.summary)
    if perturb:
        shares = evaluate_perturbed(directory, max_side=max_side, long_side=long_side, only=only)
        for name, share in shares.items():
            if name != "mean":
                click.echo(f"perturbed {name}: exact {share}")
        summary["perturbed_exact"] = shares["mean"]
    click.echo(json.dumps(summary, ensure_ascii=False))
