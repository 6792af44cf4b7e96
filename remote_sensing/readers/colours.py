"""Plate colour code schemes seen in vendor files (kept small on purpose; ``plates/`` owns the rest)."""

from __future__ import annotations

from typing import Final

COLOUR_SCHEMES: Final[dict[str, dict[str, str]]] = {
    # HJ 845 style: 0 blue, 1 yellow, 2 white, 3 black, 4 green.
    "hj845": {"0": "blue", "1": "yellow", "2": "white", "3": "black", "4": "green"},
    # GA 24.7 style as used by vendor B: 1 blue, 2 yellow, 3 white, 4 black, 5 green, 6 yellow-green.
    "ga": {"1": "blue", "2": "yellow", "3": "white", "4": "black", "5": "green", "6": "yellow_green"},
}


def colour_scheme(name: str) -> dict[str, str]:
    """Return the colour code map called ``name``."""
    try:
        return COLOUR_SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown colour scheme {name!r}; known: {', '.join(sorted(COLOUR_SCHEMES))}") from None
