"""What phase-out connects when the app is built: 'scrapped but still driving' on every sighting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import Flask

from vehicle_enforce import signals
from vehicle_enforce.core import actors
from vehicle_enforce.phaseout import sightings as phaseout_sightings

#: Who raises a seen-again alert: the system, on a sighting another domain reported.
SIGHTINGS = actors.system("phaseout:seen-again")


def init_app(_app: Flask) -> None:
    signals.connect(signals.verdicts_stored, verdicts_seen)
    signals.connect(signals.vehicle_seen, vehicles_seen)


def verdicts_seen(_sender: str, *, verdicts: Sequence[signals.VerdictEvent]) -> None:
    """Remote-sensing and roadside sightings of phased-out vehicles raise 'scrapped but still driving'."""
    phaseout_sightings.check_seen_again(
        ((v.vehicle_id, v.measured_at, v.source, None) for v in verdicts), actor=SIGHTINGS
    )


def vehicles_seen(_sender: str, *, sightings: Sequence[tuple[int, datetime, str, str | None]]) -> None:
    """Checkpoint reads and gate records of vehicles off the register raise the same alert."""
    phaseout_sightings.check_seen_again(sightings, actor=SIGHTINGS)
