"""Match a read plate against registered plates, tolerating the usual OCR misreads.

The service looks candidates up by an indexed key and ranks only those rows::

    key = confusion_key(normalize_plate(read))        # equality on an indexed VARCHAR(16) column
    rows = ...  # (vehicle_id, plate, plate_color) of registered plates whose stored key == key
    result = rank_candidates(read, color, rows)

Every candidate that can make the decision "exact", "probable" or "ambiguous" has the read's
confusion key, so ranking the rows fetched by key decides exactly as ranking the whole registry.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

from plates.text import PlateColor, normalize_plate, parse_color

__all__ = [
    "COLOR_UNCONFIRMED_COST",
    "CONFUSION_CLASSES",
    "CONFUSION_COST",
    "CONFUSION_KEY_MAX_LENGTH",
    "INDEL_COST",
    "PROVINCE_COST",
    "REVIEW_MAX_DISTANCE",
    "SUBSTITUTION_COST",
    "Candidate",
    "Decision",
    "KnownPlate",
    "MatchResult",
    "confusion_key",
    "plate_distance",
    "rank_candidates",
]

#: Characters OCR confuses with each other, one class per string; the first character of a class is
#: its representative in confusion keys. Classes must not overlap. "O" sits with 0/D/Q because
#: normalize_plate already turns a serial O into 0; only at the authority position does it survive.
CONFUSION_CLASSES: Final[tuple[str, ...]] = ("0DQO", "8B", "2Z", "5S", "1I7", "6G", "4A")

# Distance weights. A listed confusion is cheap, a differing province character costs more (it is the
# most often misread character, but a different province is a real difference too), anything else
# costs a full substitution. The weights keep PROVINCE_COST + 7 * CONFUSION_COST < SUBSTITUTION_COST,
# so on plates of up to 8 characters every candidate that differs only by confusions and the province
# is nearer than any candidate with one other substitution or a missing or extra character.
CONFUSION_COST: Final = 0.1
PROVINCE_COST: Final = 0.25
SUBSTITUTION_COST: Final = 1.0
INDEL_COST: Final = 1.0
#: Added in rank_candidates when either side's colour is unknown: at equal character distance a
#: registered plate whose colour was confirmed ranks before one whose colour could not be compared.
COLOR_UNCONFIRMED_COST: Final = 0.01
#: Candidates that are not close (see rank_candidates) are still listed for a person up to this distance.
REVIEW_MAX_DISTANCE: Final = 2.0
#: Confusion keys are cut to this length (a valid plate's key has at most 7 characters).
CONFUSION_KEY_MAX_LENGTH: Final = 16
_TIE_TOLERANCE: Final = 1e-9

Decision = Literal["exact", "probable", "ambiguous", "none"]


def _fold_table(classes: Iterable[str]) -> dict[int, str]:
    fold: dict[str, str] = {}
    for members in classes:
        for ch in members:
            if ch in fold:
                raise ValueError(f"confusion classes overlap on {ch!r}")
            fold[ch] = members[0]
    return str.maketrans(fold)


_FOLD: Final = _fold_table(CONFUSION_CLASSES)
_REPRESENTATIVE: Final = {chr(code): rep for code, rep in _FOLD.items()}


def _substitution_cost(a: str, b: str, province: bool) -> float:
    if a == b:
        return 0.0
    if province:
        return PROVINCE_COST
    if _REPRESENTATIVE.get(a, a) == _REPRESENTATIVE.get(b, b):
        return CONFUSION_COST
    return SUBSTITUTION_COST


def _positional_distance(a: str, b: str, limit: float) -> float:
    """Same-length distance; stops adding once it passes ``limit`` (the result is then > limit)."""
    total = 0.0
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x != y:
            total += _substitution_cost(x, y, i == 0)
            if total > limit:
                break
    return total


def plate_distance(a: str, b: str) -> float:
    """Confusion-aware distance between two normalised plate strings (0 only when they are equal).

    Same length: the sum over positions of 0 (equal), PROVINCE_COST (the first character differs,
    whatever it is), CONFUSION_COST (both in one CONFUSION_CLASSES class) or SUBSTITUTION_COST.
    Different lengths: the weighted edit distance with those substitution costs (PROVINCE_COST only
    when the two first characters are aligned) and INDEL_COST per inserted or deleted character.
    Symmetric. Expects normalize_plate output; it does not normalise.
    """
    if a == b:
        return 0.0
    if len(a) == len(b):
        return _positional_distance(a, b, float("inf"))
    previous = [j * INDEL_COST for j in range(len(b) + 1)]
    for i, x in enumerate(a, start=1):
        current = [i * INDEL_COST]
        for j, y in enumerate(b, start=1):
            current.append(
                min(
                    previous[j] + INDEL_COST,
                    current[j - 1] + INDEL_COST,
                    previous[j - 1] + _substitution_cost(x, y, i == 1 and j == 1),
                )
            )
        previous = current
    return previous[-1]


def _core_key(normal: str) -> str:
    return normal[1:].translate(_FOLD)


def confusion_key(plate: str) -> str:
    """Index key for candidate lookup: the plate without its province character, each remaining
    character folded to its confusion-class representative ("晋E1234S" and "陕E12345" → "E12345";
    8 and B share). At most CONFUSION_KEY_MAX_LENGTH characters; "" for an unread plate.

    Normalises its input first, so keys of stored plates and of raw reads agree. Two plates with the
    same length differ only by listed confusions and the province character exactly when their keys
    are equal, so the key is invariant under every difference rank_candidates calls "probable".
    """
    return _core_key(normalize_plate(plate))[:CONFUSION_KEY_MAX_LENGTH]


class KnownPlate(NamedTuple):
    """A registered plate. Any (vehicle_id, plate, plate_color) tuple, e.g. a database row, works."""

    vehicle_id: int
    plate: str
    plate_color: PlateColor | str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A registered plate ranked against a read.

    ``plate`` is normalised. ``distance`` is plate_distance plus COLOR_UNCONFIRMED_COST when a colour
    was unknown; ``score`` = max(0, 1 - distance / length of the read): 1 only for the same characters
    with the same known colour, and lower the farther the candidate is from the read.
    """

    vehicle_id: int
    plate: str
    plate_color: PlateColor
    score: float
    distance: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Decision for one read, with the candidates best first (``read`` is the normalised read)."""

    decision: Decision
    candidates: list[Candidate]
    read: str = ""

    @property
    def match(self) -> Candidate | None:
        """The matched candidate for "exact" and "probable", else None (a person decides)."""
        if self.decision in ("exact", "probable"):
            return self.candidates[0]
        return None


def rank_candidates(
    read: str,
    color: PlateColor | str | None,
    known: Iterable[KnownPlate | tuple[int, str, PlateColor | str]],
) -> MatchResult:
    """Rank registered plates against a read plate and decide whether the read identifies a vehicle.

    Both the read and the registered plates are normalised first. Colours (parse_color; ValueError
    for an unreadable one):

    * The same characters with a different colour are a different vehicle, so when the read colour
      and a registered colour are both known and differ, that registered plate is excluded.
    * When either colour is unknown (None, "", "unknown") the plate stays a candidate but cannot be
      exact, and its distance gets COLOR_UNCONFIRMED_COST, so a confirmed colour wins a tie.

    A candidate is *close* when it has the read's length and differs only by listed confusions and/or
    the province character (equivalently: the same confusion_key and length). Decisions:

    * ``exact``: the only vehicle whose plate is equal to the read with the same known colour.
    * ``probable``: the nearest close candidate belongs to one vehicle and no other vehicle's close
      candidate is as near (equal distance). Identical characters with a colour unknown on either
      side land here too, since the colour could not be confirmed.
    * ``ambiguous``: two or more vehicles are nearest at the same distance (needs a person), e.g.
      identical characters registered yellow and blue when the read colour is unknown, or two
      registered plates each one confusion away.
    * ``none``: no close candidate, or the read is empty / an unread marker. A non-confusion
      substitution, a missing or extra character (including a missing province) is not close.

    ``candidates`` lists the close candidates by distance, then other colour-compatible plates within
    REVIEW_MAX_DISTANCE for a person to look at (for reads of up to 8 characters the weights make this
    plain distance order, so scores never increase down the list). Rows repeated with the same vehicle, plate and colour
    count once; two plates of one vehicle never make a rivalry.
    """
    read_normal = normalize_plate(read)
    if not read_normal:
        return MatchResult("none", [], "")
    read_color = parse_color(color)
    read_key = _core_key(read_normal)
    read_length, read_province, read_rest = len(read_normal), read_normal[0], read_normal[1:]
    unknown = PlateColor.UNKNOWN
    read_unknown = read_color is unknown
    seen: set[tuple[int, str, PlateColor]] = set()
    ranked: list[tuple[bool, float, str, str, int, Candidate]] = []
    for vehicle_id, plate, plate_color in known:  # hot: a hotlist batch ranks ~5,000 rows
        normal = normalize_plate(plate)
        known_color = parse_color(plate_color)
        if not normal or not (read_unknown or known_color is unknown or known_color is read_color):
            continue  # unread, or both colours known and different: another vehicle
        identity = (vehicle_id, normal, known_color)
        if identity in seen:
            continue
        seen.add(identity)
        same_length = len(normal) == read_length
        close = same_length and _core_key(normal) == read_key
        if close:  # the common case: only the province and listed confusions can differ
            distance = (PROVINCE_COST if normal[0] != read_province else 0.0) + CONFUSION_COST * sum(
                map(operator.ne, normal[1:], read_rest)
            )
        elif same_length:  # stop counting past the review limit
            distance = _positional_distance(read_normal, normal, REVIEW_MAX_DISTANCE)
        elif abs(len(normal) - read_length) * INDEL_COST > REVIEW_MAX_DISTANCE:
            continue
        else:
            distance = plate_distance(read_normal, normal)
        if read_unknown or known_color is unknown:
            distance += COLOR_UNCONFIRMED_COST
        if not close and distance > REVIEW_MAX_DISTANCE:
            continue
        score = 1.0 - distance / read_length
        candidate = Candidate(vehicle_id, normal, known_color, score if score > 0.0 else 0.0, distance)
        ranked.append((not close, distance, normal, known_color.value, vehicle_id, candidate))
    ranked.sort(key=lambda entry: entry[:5])
    candidates = [entry[-1] for entry in ranked]
    close_candidates = [entry[-1] for entry in ranked if not entry[0]]
    if not close_candidates:
        return MatchResult("none", candidates, read_normal)
    best = close_candidates[0].distance
    nearest = {c.vehicle_id for c in close_candidates if c.distance <= best + _TIE_TOLERANCE}
    decision: Decision
    if len(nearest) > 1:
        decision = "ambiguous"
    elif best == 0.0:
        decision = "exact"
    else:
        decision = "probable"
    return MatchResult(decision, candidates, read_normal)
