"""What the blacklist connects when the app is built: the listing rule on every verdict, its history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask

from vehicle_enforce import signals
from vehicle_enforce.blacklist import services
from vehicle_enforce.core.actors import Actor


def init_app(_app: Flask) -> None:
    signals.connect(signals.verdicts_stored, apply_listing_rule)
    signals.connect(signals.vehicle_history_wanted, history)


def apply_listing_rule(_sender: str, *, verdicts: Sequence[signals.VerdictEvent]) -> None:
    """The listing rule and the automatic release, in the transaction that stored the verdicts."""
    services.on_verdicts(verdicts)


def history(_sender: str, *, vehicle_id: int, viewer: Actor) -> dict[str, Any]:
    return services.vehicle_history(vehicle_id, viewer)
