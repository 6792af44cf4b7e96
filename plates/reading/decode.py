"""CTC decoding of the recogniser's output, greedy and constrained by the plate grammar.

The greedy read takes the most likely class in every frame. When that read is not a plate
(``G`` read as ``6`` where only a letter may stand, a character dropped or doubled), the
grammar decoder finds the most likely frame path whose text *is* a plate: a Viterbi search
over the CTC topology (blanks between characters, repeats collapse) in which position ``k``
of a layout may only emit the characters ``PLATE_TEMPLATES`` allows there.

A character's confidence is the highest probability it reaches over the frames it occupies,
taken among the classes the grammar allows at its position (and the blank): a character the
grammar forced in against the network's belief keeps a low confidence, so the reader's
confidence threshold still rejects a forced read of a non-plate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from plates.reading.charset import BLANK, CHARS, NUM_CLASSES, PLATE_TEMPLATES, is_valid_plate

F32 = NDArray[np.float32]

_INDEX = {c: i + 1 for i, c in enumerate(CHARS)}
_TEMPLATE_IDS = tuple(tuple(np.array([_INDEX[c] for c in allowed]) for allowed in t) for t in PLATE_TEMPLATES)
#: Per layout, (positions, classes): whether position k may emit the class (never the blank).
_TEMPLATE_ALLOWED = tuple(np.stack([np.isin(np.arange(NUM_CLASSES), ids) for ids in t]) for t in _TEMPLATE_IDS)
#: The distinct sets of classes the layouts allow at a position (the same set at several positions
#: or in several layouts is one set) and, per layout, which of them its positions use.
_POSITION_SETS = tuple({ids.tobytes(): ids for t in _TEMPLATE_IDS for ids in t}.values())
_TEMPLATE_SETS = tuple(
    tuple(i for i, ids in enumerate(_POSITION_SETS) if any(np.array_equal(ids, x) for x in t)) for t in _TEMPLATE_IDS
)
_KEEP = 1e-4  # classes that never reach this probability cannot be on a plausible path
_PER_POSITION = 3  # ... except the most likely few allowed at each position
_SURE_BLANK = 0.995


@dataclass(frozen=True)
class TextResult:
    text: str
    char_confidences: tuple[float, ...]

    @property
    def confidence(self) -> float:
        return min(self.char_confidences) if self.char_confidences else 0.0


def softmax(logits: F32) -> F32:
    """(classes, T) logits -> per-frame class probabilities."""
    z = logits - logits.max(axis=0, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=0, keepdims=True)
    return np.asarray(p, dtype=np.float32)


def ctc_decode(logits: F32) -> TextResult:
    """Greedy CTC decode of (classes, T) logits with a confidence per character.

    A character's confidence is the highest softmax probability it reaches over the frames
    of its run.
    """
    return _greedy(softmax(logits))


def _greedy(p: F32) -> TextResult:
    runs = _runs(p)
    return TextResult("".join(CHARS[k - 1] for k, _ in runs), tuple(float(p[k, frames].max()) for k, frames in runs))


def _viterbi(logps: list[F32], alloweds: list[NDArray[np.bool_]]) -> list[tuple[float, list[tuple[int, int]]]]:
    """Best CTC path through each layout; per layout (log score, [(position, class) per frame]).

    ``logps[i]`` is (classes, T) (the same T for all, row 0 the blank); ``alloweds[i]`` is
    (positions, classes). A frame's state is either "blank after k characters" (position -1 - k)
    or "emitting class c at position k". The layouts are searched side by side, padded to the most
    positions and classes with states that can never be reached (appended last, so no maximum or
    tie among the reachable ones changes): each layout's path and score are those of searching it
    alone.
    """
    n_b = len(logps)
    sizes = [a.shape for a in alloweds]
    n_pos = max(k for k, _ in sizes)
    n_cls = max(c for _, c in sizes)
    n_t = logps[0].shape[1]
    neg = np.float32(-np.inf)
    em = np.full((n_t, n_b, n_pos, n_cls), neg, np.float32)  # (T, layouts, positions, classes)
    for b, (logp, allowed) in enumerate(zip(logps, alloweds, strict=True)):
        k, c = allowed.shape
        em[:, b, :k, :c] = np.where(allowed[None, :, :], logp.T[:, None, :], neg)
    blank = logps[0][BLANK]
    cst = np.full((n_b, n_pos, n_cls), neg, np.float32)
    cst[:, 0] = em[0, :, 0]
    bst = np.full((n_b, n_pos + 1), neg, np.float32)
    bst[:, 0] = blank[0]
    # back pointers: for char states 0 = stay, 1 = from blank, 2 = from the previous position's
    # class in src; for blank states -1 = stay, else the class of the character it follows
    how = np.zeros((n_t, n_b, n_pos, n_cls), np.int8)
    src = np.zeros((n_t, n_b, n_pos, n_cls), np.int16)
    bsrc = np.full((n_t, n_b, n_pos + 1), -1, np.int16)
    cols = np.arange(n_cls)
    options = np.full((3, n_b, n_pos, n_cls), neg, np.float32)  # stay, from blank, from the previous position
    for t in range(1, n_t):
        prev = cst[:, :-1]
        arg1 = prev.argmax(axis=2)[:, :, None]  # best two classes per position
        top1 = prev.max(axis=2, keepdims=True)  # the value at arg1
        same = cols == arg1
        second = np.where(same, neg, prev)
        arg2 = second.argmax(axis=2)[:, :, None]
        top2 = second.max(axis=2, keepdims=True)
        options[0] = cst
        options[1] = bst[:, :-1, None]
        options[2, :, 1:] = np.where(same, top2, top1)
        how[t] = options.argmax(axis=0)
        src[t, :, 1:] = np.where(same, arg2, arg1)
        new_c = options.max(axis=0) + em[t]
        char_best = cst.max(axis=2)
        bsrc[t, :, 1:] = np.where(char_best > bst[:, 1:], cst.argmax(axis=2), -1)
        np.maximum(bst[:, 1:], char_best, out=bst[:, 1:])
        bst += blank[t]
        cst = new_c
    return [_backtrack(cst[b], bst[b], how[:, b], src[:, b], bsrc[:, b], k) for b, (k, _) in enumerate(sizes)]


def _backtrack(
    cst: F32, bst: F32, how: NDArray[np.int8], src: NDArray[np.int16], bsrc: NDArray[np.int16], n_pos: int
) -> tuple[float, list[tuple[int, int]]]:
    """(log score, path) of one layout of ``n_pos`` positions from ``_viterbi``'s last states and back pointers."""
    n_t = how.shape[0]
    end_c = int(cst[n_pos - 1].argmax())
    score = float(max(bst[n_pos], cst[n_pos - 1, end_c]))
    if not np.isfinite(score):
        return score, []
    state = (n_pos - 1, end_c) if cst[n_pos - 1, end_c] >= bst[n_pos] else (-1 - n_pos, 0)
    path = [state]
    for t in range(n_t - 1, 0, -1):
        k, c = state
        if k < 0:  # blank after -1 - k characters
            b = int(bsrc[t, -1 - k])
            state = (k, 0) if b < 0 else (-2 - k, b)
        else:
            h = int(how[t, k, c])
            state = (k, c) if h == 0 else (-1 - k, 0) if h == 1 else (k - 1, int(src[t, k, c]))
        path.append(state)
    path.reverse()
    return score, path


def _substitute(
    p: F32, greedy: list[tuple[int, list[int]]], templates: tuple[tuple[NDArray[np.int64], ...], ...]
) -> tuple[float, TextResult] | None:
    """Keep the greedy read's characters and frames; at each position take the best class the
    layout allows there. (log score, reading) of the best layout of the read's length."""
    best: tuple[float, TextResult] | None = None
    for template in templates:
        if len(template) != len(greedy):
            continue
        score = 0.0
        chars: list[str] = []
        confs: list[float] = []
        for ids, (_, frames) in zip(template, greedy, strict=True):
            sub = p[np.ix_(ids, np.asarray(frames))]  # allowed classes x the run's frames
            k, t = np.unravel_index(int(sub.argmax()), sub.shape)
            cls = int(ids[k])
            score += float(np.log(max(float(sub[k, t]), 1e-30)))
            chars.append(CHARS[cls - 1])
            confs.append(float(sub[k, t] / (sub[:, t].sum() + p[BLANK, frames[t]])))
        if best is None or score > best[0]:
            best = (score, TextResult("".join(chars), tuple(confs)))
    return best


def _runs(p: F32) -> list[tuple[int, list[int]]]:
    """Greedy CTC segmentation: (class, frames) of every emitted character."""
    runs: list[tuple[int, list[int]]] = []
    prev = BLANK
    for t, k in enumerate(p.argmax(axis=0).tolist()):
        if k != BLANK:
            if k != prev:
                runs.append((k, [t]))
            else:
                runs[-1][1].append(t)
        prev = k
    return runs


def decode_plate(logits: F32, length: int | None = None, greedy: TextResult | None = None) -> TextResult | None:
    """The most likely reading of the crop that is a plate (of ``length`` characters if given), or None.

    The greedy read (``greedy``, if the caller has it already) when it is a plate; else the greedy
    characters with disallowed classes replaced when the length fits a layout; else (a character
    dropped or doubled) the full grammar search, which is only tried for reads one character off a
    layout's length.
    """
    templates = _templates(length)
    lengths = {len(t) for t in templates}
    greedy = ctc_decode(logits) if greedy is None else greedy
    n = len(greedy.text)
    if n in lengths and is_valid_plate(greedy.text):
        return greedy
    if n in lengths:
        p = softmax(logits)
        sub = _substitute(p, _runs(p), templates)
        return sub[1] if sub else None
    if any(abs(n - m) == 1 for m in lengths):
        return grammar_decode(logits, length)
    return None


def _templates(length: int | None) -> tuple[tuple[NDArray[np.int64], ...], ...]:
    return _TEMPLATE_IDS if length is None else tuple(t for t in _TEMPLATE_IDS if len(t) == length)


def grammar_decode(logits: F32, length: int | None = None) -> TextResult | None:
    """The most likely reading that is a plate (of ``length`` characters if given), or None if
    no layout fits the frames."""
    p = softmax(logits)
    # A run of frames that are all but surely blank holds no character: the search treats it as
    # one frame (log probabilities added), which halves its work on a typical read.
    sure_blank = p[BLANK] >= _SURE_BLANK
    starts = np.flatnonzero(~(sure_blank & np.concatenate([[False], sure_blank[:-1]])))
    logp = np.add.reduceat(np.log(np.maximum(p, 1e-30)), starts, axis=1)
    p = p[:, starts]
    peak = p.max(axis=1)
    chosen = [i for i, t in enumerate(_TEMPLATE_IDS) if length is None or len(t) == length]
    templates = [_TEMPLATE_IDS[i] for i in chosen]
    logps: list[F32] = []
    alloweds: list[NDArray[np.bool_]] = []
    class_lists: list[NDArray[np.intp]] = []
    likeliest: dict[int, NDArray[np.int64]] = {}  # per position set, its most likely few classes
    for i in chosen:
        keep = peak >= _KEEP
        for j in _TEMPLATE_SETS[i]:
            if j not in likeliest:
                ids = _POSITION_SETS[j]
                likeliest[j] = ids[np.argsort(peak[ids])[-_PER_POSITION:]]
            keep[likeliest[j]] = True
        keep[BLANK] = True
        classes = np.flatnonzero(keep)
        class_lists.append(classes)
        alloweds.append(_TEMPLATE_ALLOWED[i][:, classes])  # the blank is allowed nowhere
        logps.append(logp[classes])
    best: tuple[float, TextResult] | None = None
    for template, classes, (score, path) in zip(templates, class_lists, _viterbi(logps, alloweds), strict=True):
        if not path or (best is not None and score <= best[0]):
            continue
        chars: list[str] = []
        confs: list[float] = []
        for t, (k, c) in enumerate(path):
            if k < 0:
                continue
            cls = int(classes[c])
            ids = template[k]
            conf = float(p[cls, t] / (p[ids, t].sum() + p[BLANK, t]))
            if k == len(chars):
                chars.append(CHARS[cls - 1])
                confs.append(conf)
            else:
                confs[k] = max(confs[k], conf)
        best = (score, TextResult("".join(chars), tuple(confs)))
    return best[1] if best else None
