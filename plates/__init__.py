"""Plate-text rules and misread-tolerant plate matching (pure library: no Flask, no database)."""

from plates.matching import Candidate, KnownPlate, MatchResult, confusion_key, plate_distance, rank_candidates
from plates.text import (
    COLOR_SCHEMES,
    PlateCheck,
    PlateColor,
    color_from_code,
    is_unread,
    normalize_plate,
    parse_color,
    validate_plate,
)

__all__ = [
    "COLOR_SCHEMES",
    "Candidate",
    "KnownPlate",
    "MatchResult",
    "PlateCheck",
    "PlateColor",
    "color_from_code",
    "confusion_key",
    "is_unread",
    "normalize_plate",
    "parse_color",
    "plate_distance",
    "rank_candidates",
    "validate_plate",
]
