"""Plates typed or imported as the truth (a registry row, a person's correction): never rewritten.

`normalize_plate` fixes reads (a camera's I or O in the serial is certainly 1 or 0). A plate that a
person typed or a registry holds is the claim itself: when its serial holds I or O it cannot be a
GA 36 plate, and rewriting it could make it another vehicle's plate, so it is refused with a message.
"""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s·•.。\-_]+")


def typed_plate_problem(text: str | None) -> str | None:
    """A Chinese message when a typed plate has I or O where GA 36 allows neither, else None."""
    if not text:
        return None
    cleaned = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).upper())
    if len(cleaned) < 3 or cleaned[0].isascii():
        return None
    for position, ch in enumerate(cleaned[2:], start=3):
        if ch in ("I", "O"):
            return f"第{position}位为字母“{ch}”，号牌序号不使用字母I和O，请核对是否为数字“{'1' if ch == 'I' else '0'}”"
    return None
