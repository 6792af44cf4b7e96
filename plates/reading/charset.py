"""Character set shared by the recogniser, its training code and the plate grammar."""

from __future__ import annotations

import re

PROVINCES = "京津沪渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"
SPECIALS = "警学挂港澳使领"

#: Index 0 is the CTC blank; characters start at 1.
CHARS = PROVINCES + LETTERS + DIGITS + SPECIALS
BLANK = 0
NUM_CLASSES = len(CHARS) + 1

_ALNUM = LETTERS + DIGITS

#: The civil plate grammar: for each layout, the characters allowed at each position.
PLATE_TEMPLATES: tuple[tuple[str, ...], ...] = (
    # ordinary 7-character plate (blue / yellow / white / black), incl. trailer, learner, police, HK/Macau
    (PROVINCES, LETTERS, _ALNUM, _ALNUM, _ALNUM, _ALNUM, _ALNUM + SPECIALS),
    # 8-character new-energy plate, small car: D/F third
    (PROVINCES, LETTERS, "DF", _ALNUM, DIGITS, DIGITS, DIGITS, DIGITS),
    # 8-character new-energy plate, large vehicle: D/F last
    (PROVINCES, LETTERS, DIGITS, DIGITS, DIGITS, DIGITS, DIGITS, "DF"),
)

_PLATE_PATTERNS = tuple(
    re.compile("^" + "".join(f"[{allowed}]" for allowed in template) + "$") for template in PLATE_TEMPLATES
)


def is_valid_plate(text: str) -> bool:
    """True if ``text`` follows the civil plate grammar (7 chars, or 8 for new-energy)."""
    return any(p.match(text) for p in _PLATE_PATTERNS)
