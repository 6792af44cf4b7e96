"""What alerts connects when the app is built: the restriction in force on each hotlist answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask

from vehicle_enforce import signals
from vehicle_enforce.alerts import services


def init_app(_app: Flask) -> None:
    signals.connect(signals.hotlist_answering, restrictions)


def restrictions(
    _sender: str, *, reads: Sequence[Any], vehicle_ids: Sequence[int | None]
) -> list[dict[str, Any] | None]:
    return services.hotlist_restrictions(reads, vehicle_ids)
