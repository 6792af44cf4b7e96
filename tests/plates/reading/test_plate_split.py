"""The fixed tuning/validation split of the shared photos (plates/README.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from plates.reading.evaluate import SPLIT_FILE, evaluate_dir, split_files
from tools.plates_training.make_split import split


def test_the_split_halves_are_disjoint_and_cover_the_shared_photos(plates_dir: Path) -> None:
    tuning, validation = split_files("tuning"), split_files("validation")
    assert len(tuning) == len(validation) == 30 and not tuning & validation
    with (plates_dir / "labels.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert tuning | validation == {r["file"] for r in rows}
    for colour in ("blue", "yellow", "green"):  # stratified by colour
        files = {r["file"] for r in rows if r["color"] == colour}
        assert abs(len(files & tuning) - len(files & validation)) <= 1, colour


def test_the_committed_split_is_what_the_seeded_script_makes(plates_dir: Path) -> None:
    with SPLIT_FILE.open(encoding="utf-8") as fh:
        committed = [(r["file"], r["half"]) for r in csv.DictReader(fh)]
    assert committed == split(plates_dir / "labels.csv")


def test_unknown_half_is_refused() -> None:
    with pytest.raises(ValueError, match="half"):
        split_files("everything")


def test_evaluation_keeps_to_the_listed_files(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text("file,plate,color\na.png,晋E12345,blue\nb.png,晋E12346,blue\n")
    report = evaluate_dir(tmp_path, read=lambda img: [], only=frozenset({"b.png"}))
    assert [r.file for r in report.results] == ["b.png"]
