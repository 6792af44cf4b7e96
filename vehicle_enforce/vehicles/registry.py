"""Registry helpers shared by the vehicle rules, imports and demo data."""

from __future__ import annotations

from plates import confusion_key, normalize_plate


def plate_key(plate: str) -> str:
    """Index key under which misreads of `plate` find it (see plates.confusion_key)."""
    return confusion_key(normalize_plate(plate))
