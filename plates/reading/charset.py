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

_ALNUM = f"[{LETTERS}{DIGITS}]"
_PLATE_PATTERNS = (
    # ordinary 7-character plate (blue / yellow / white / black), incl. trailer, learner, police, HK/Macau
    re.compile(rf"^[{PROVINCES}][{LETTERS}]{_ALNUM}{{4}}[{LETTERS}{DIGITS}警学挂港澳使领]$"),
    # 8-character new-energy plate (small: D/F first; large: D/F last)
    re.compile(rf"^[{PROVINCES}][{LETTERS}][DF]{_ALNUM}[{DIGITS}]{{4}}$"),
    re.compile(rf"^[{PROVINCES}][{LETTERS}][{DIGITS}]{{5}}[DF]$"),
)


def is_valid_plate(text: str) -> bool:
    """True if ``text`` follows the civil plate grammar (7 chars, or 8 for new-energy)."""
    return any(p.match(text) for p in _PLATE_PATTERNS)
