"""The reader on photos rendered at test time: every colour and layout the real set lacks."""

from __future__ import annotations

import random
from typing import Any

import cv2
import numpy as np
import pytest

from plates.reading import read_plates
from plates.reading import reader as reader_mod
from plates.reading.decode import TextResult
from plates.reading.detect import Candidate, find_candidates
from plates.text import validate_plate
from tests.plates.reading.conftest import PhotoFactory
from tools.plates_training.synth import PlateSpec, random_plate_text, render_scene

CASES = [
    PlateSpec("晋E12345", "blue"),
    PlateSpec("晋A7K2N9", "blue"),
    PlateSpec("晋K36952", "yellow"),
    PlateSpec("晋B5C203", "yellow", double=True),
    PlateSpec("晋M80716", "yellow", double=True),
    PlateSpec("晋AD12345", "green"),
    PlateSpec("晋C12345D", "yellow_green"),
    PlateSpec("晋A1234警", "white"),
    PlateSpec("粤Z1A23港", "black"),
]


def _center_dist(corners: tuple[tuple[float, float], ...], truth: np.ndarray) -> float:
    return float(np.linalg.norm(np.mean(np.array(corners), axis=0) - truth.mean(axis=0)))


@pytest.mark.parametrize(
    "spec",
    CASES,
    ids=lambda s: f"{s.color}{'-double' if s.double else ''}-{s.text}" if isinstance(s, PlateSpec) else None,
)
def test_reads_each_colour_and_layout(spec: PlateSpec, make_photo: PhotoFactory) -> None:
    img, quads = make_photo([spec], seed=sum(map(ord, spec.text)), widths=[300.0])
    readings = read_plates(img)
    assert [r.plate for r in readings] == [spec.text]
    r = readings[0]
    assert r.color == spec.color
    assert len(r.char_confidences) == len(spec.text)
    assert r.confidence == min(r.char_confidences)
    assert 0.0 < r.confidence <= 1.0
    assert len(r.corners) == 4
    assert _center_dist(r.corners, quads[0]) < 40


def test_several_plates_in_one_photo_one_reading_each(make_photo: PhotoFactory) -> None:
    specs = [PlateSpec("晋E12345", "blue"), PlateSpec("晋K36952", "yellow"), PlateSpec("晋AD12345", "green")]
    img, quads = make_photo(specs, seed=7, widths=[260.0, 260.0, 260.0])
    readings = read_plates(img)
    assert sorted(r.plate for r in readings) == sorted(s.text for s in specs)
    for spec, quad in zip(specs, quads, strict=True):
        r = next(r for r in readings if r.plate == spec.text)
        assert r.color == spec.color
        assert _center_dist(r.corners, quad) < 40


def test_small_tilted_plate(make_photo: PhotoFactory) -> None:
    spec = PlateSpec("晋E65B08", "blue")
    img, _ = make_photo([spec], seed=3, widths=[110.0], max_angle=12.0)
    assert [r.plate for r in read_plates(img)] == [spec.text]


def test_dark_night_photo(make_photo: PhotoFactory) -> None:
    spec = PlateSpec("晋A52807", "blue")
    img, _ = make_photo([spec], seed=11, widths=[220.0])
    dark = (img.astype(np.float32) * 0.35).astype(np.uint8)
    readings = read_plates(dark)
    assert [r.plate for r in readings] == [spec.text]
    assert readings[0].color == "blue"


def test_bytes_input_matches_array_input(make_photo: PhotoFactory) -> None:
    spec = PlateSpec("晋E12345", "blue")
    img, _ = make_photo([spec], seed=5, widths=[240.0])
    ok, enc = cv2.imencode(".png", img)
    assert ok
    a = read_plates(img)
    b = read_plates(enc.tobytes())
    assert [r.plate for r in a] == [r.plate for r in b] == [spec.text]


def test_photo_without_plates_gives_no_reading() -> None:
    rng = np.random.default_rng(0)
    img = np.asarray(cv2.GaussianBlur(rng.integers(0, 255, (720, 960, 3), dtype=np.uint8), (0, 0), 3), np.uint8)
    assert read_plates(img) == []


def test_bad_bytes_raise() -> None:
    with pytest.raises(ValueError):
        read_plates(b"not an image")


def test_random_synthetic_plates_mostly_read(make_photo: PhotoFactory) -> None:
    """A seeded batch of random plates (all colours/layouts); a floor on the exact rate."""
    rng = random.Random(2026)
    hits = 0
    n = 24
    colors = ["blue", "yellow", "green", "yellow_green", "white", "black"]
    for i in range(n):
        color = colors[i % len(colors)]
        double = color == "yellow" and i % 4 == 1
        spec = PlateSpec(random_plate_text(rng, color, double), color, double)
        while not validate_plate(spec.text, spec.color).ok:  # forms GA 36 has: white plates end in 警, ...
            spec = PlateSpec(random_plate_text(rng, color, double), color, double)
        img, _ = make_photo([spec], seed=100 + i, widths=[rng.uniform(160, 320)])
        readings = read_plates(img)
        hits += any(r.plate == spec.text and r.color == spec.color for r in readings)
    # measured 24/24; 22/24 before a reading's colour followed its form (a 警 plate read "unknown",
    # a large new-energy plate "green")
    assert hits / n >= 0.95


def test_double_row_truck_plates_are_read_with_their_colour() -> None:
    """Rear plates of heavy trucks, the vehicles the service enforces on: 40 photos of double-row
    yellow plates 110-260 px wide, with the lighting, blur, noise and JPEG changes of training."""
    hits = 0
    n = 40
    for i in range(n):
        rng = random.Random(7100 + i)
        spec = PlateSpec(random_plate_text(rng, "yellow", True), "yellow", True)
        img, _ = render_scene([spec], rng, plate_widths=[rng.uniform(110, 260)], augment=True, max_angle=8)
        hits += any(r.plate == spec.text and r.color == "yellow" for r in read_plates(img))
    assert hits / n >= 0.9  # measured 39/40 (38/40 before the lower-row step)


def test_a_double_row_plate_is_read_from_a_region_over_its_lower_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """An edge region often holds only a double-row plate's lower row (its five characters look
    like a single-row plate's text): the read of those five characters sends the reader up to
    the whole plate."""
    spec = PlateSpec("鲁CK189T", "yellow", double=True)
    img, quads = render_scene([spec], random.Random(5), plate_widths=[220.0], augment=False, max_angle=4)
    unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    to_image = cv2.getPerspectiveTransform(unit, quads[0].astype(np.float32))
    # GA 36: the lower row's characters span 27.5-412.5 x 90-200 mm of the 440 x 220 mm plate
    row = np.array([[[27.5, 90], [412.5, 90], [412.5, 200], [27.5, 200]]], np.float32) / [440, 220]
    cand = Candidate(cv2.perspectiveTransform(row.astype(np.float32), to_image)[0], "edge", 1.0)
    # the plate's traced outline would find it here too; on the augmented photos where this step
    # counts (5 of 420 double-row photos), tracing had failed: leave it out
    monkeypatch.setattr(reader_mod, "refine_quad", lambda *args: None)
    rd = reader_mod.PlateReader()
    best = rd._read_candidate(img, cand)
    assert best is not None and best.res.text == spec.text and best.double
    monkeypatch.setattr(reader_mod, "_lower_row", lambda text: False)
    without = rd._read_candidate(img, cand)
    assert without is None or without.res.text != spec.text


def test_a_double_row_plate_with_a_bright_mark_beside_it_is_read() -> None:
    """A camera's timestamp printed just beside a truck plate's right end (d0016 of the real
    photos: a white "20" beside its last "1") falls inside the double-row layout's side margins,
    where the recogniser takes "1" and mark together for "L" or "E". The double-row plate is
    read a second time without side margins. 60 augmented plates ending in "1", each boxed by
    its own outline as a yellow region is: 59 read (54 with the margined layout alone)."""
    rd = reader_mod.PlateReader()
    hits = 0
    n = 60
    for seed in range(n):
        rng = random.Random(300 + seed)
        spec = PlateSpec(random_plate_text(rng, "yellow", True)[:6] + "1", "yellow", True)
        img, quads = render_scene([spec], rng, plate_widths=[200.0], augment=True, max_angle=3)
        quad = quads[0].astype(np.float32)
        width, height = (float(np.linalg.norm(quad[i] - quad[0])) for i in (1, 3))
        at = (int(quad[1][0] + 0.003 * width), int(quad[2][1] - 0.05 * height))  # the mark's lower left
        cv2.putText(img, "20", at, cv2.FONT_HERSHEY_SIMPLEX, height / 45, (255, 255, 255), max(2, int(height / 25)))
        best = rd._read_candidate(img, Candidate(quad, "yellow", 1.0))
        hits += best is not None and best.res.text == spec.text and best.res.confidence >= reader_mod.MIN_CONFIDENCE
    assert hits / n >= 0.95


def _reader_counting_runs(monkeypatch: pytest.MonkeyPatch) -> tuple[reader_mod.PlateReader, list[int]]:
    """A reader whose recogniser runs are counted in the returned one-item list."""
    rd = reader_mod.PlateReader()
    runs = [0]
    logits = rd.recognizer.logits

    def counting(crops: list[np.ndarray]) -> list[np.ndarray]:
        runs[0] += len(crops)
        return logits(crops)

    monkeypatch.setattr(rd.recognizer, "logits", counting)
    return rd, runs


def test_a_surely_read_plate_is_not_read_again_from_its_other_candidates(
    make_photo: PhotoFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    img, _ = make_photo([PlateSpec("晋E12345", "blue")], seed=21, widths=[260.0])
    rd, runs = _reader_counting_runs(monkeypatch)
    skipping = rd.read(img)
    runs_skipping, runs[0] = runs[0], 0
    monkeypatch.setattr(reader_mod, "SURE", 2.0)  # never sure enough: every candidate is read
    reading_all = rd.read(img)
    assert [r.plate for r in skipping] == [r.plate for r in reading_all] == ["晋E12345"]
    assert skipping[0].confidence >= 0.95
    assert runs_skipping < runs[0]


def test_a_read_kept_but_not_sure_is_read_again_from_the_plates_outline(
    make_photo: PhotoFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A candidate's layouts read at 0.6 (above the keep threshold, below SURE): the plate's
    traced outline is read too and its surer read kept."""
    img, _ = make_photo([PlateSpec("晋E12345", "blue")], seed=21, widths=[260.0])
    traced: list[object] = []
    refine = reader_mod.refine_quad
    decode = reader_mod._decode

    def tracing(*args: Any) -> Any:
        traced.append(args)
        return refine(*args)

    def unsure_until_traced(crop: np.ndarray, logits: np.ndarray, double: bool, greedy: Any = None) -> Any:
        res = decode(crop, logits, double, greedy)
        if res is None or traced:
            return res
        return TextResult(res.text, tuple(min(c, 0.6) for c in res.char_confidences))

    monkeypatch.setattr(reader_mod, "refine_quad", tracing)
    monkeypatch.setattr(reader_mod, "_decode", unsure_until_traced)
    readings = reader_mod.PlateReader().read(img)
    assert traced
    assert [r.plate for r in readings] == ["晋E12345"]
    assert readings[0].confidence > 0.6


def test_a_read_kept_but_below_sure_does_not_end_a_candidates_search(
    make_photo: PhotoFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The candidate's first read of the plate comes at 0.9 (surer than the old stopping point,
    0.85, but not SURE): its other layouts or its outline are read too and the surer read kept."""
    img, _ = make_photo([PlateSpec("晋E12345", "blue")], seed=21, widths=[260.0])
    rd = reader_mod.PlateReader()
    cand = find_candidates(img)[0]
    decode = reader_mod._decode
    reads: list[float] = []

    def first_read_unsure(crop: np.ndarray, logits: np.ndarray, double: bool, greedy: Any = None) -> Any:
        res = decode(crop, logits, double, greedy)
        if res is not None and not reads:
            res = TextResult(res.text, tuple(min(c, 0.9) for c in res.char_confidences))
        reads.append(0.0 if res is None else res.confidence)
        return res

    monkeypatch.setattr(reader_mod, "_decode", first_read_unsure)
    best = rd._read_candidate(img, cand)
    assert best is not None
    assert reads[0] == pytest.approx(0.9)
    assert len(reads) > 1
    assert best[0].text == "晋E12345"
    assert best[0].confidence > 0.9


def test_a_candidate_whose_likeliest_layout_shows_no_characters_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textured noise passes the stroke count but reads as no characters: its other layouts are not read."""
    noise = cv2.GaussianBlur((np.random.default_rng(0).random((200, 400, 3)) * 255).astype(np.uint8), (3, 3), 0)
    cand = Candidate(np.array([[100, 80], [300, 80], [300, 140], [100, 140]], np.float32), "blue", 1.0)
    assert len(reader_mod._variants(cand)) > 1
    rd, runs = _reader_counting_runs(monkeypatch)
    assert rd._read_candidate(noise, cand) is None
    assert runs == [1]
