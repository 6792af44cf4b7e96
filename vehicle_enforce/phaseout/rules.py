"""Who must be phased out, and by when: defaults from the plan, overridable by configuration.

`PHASEOUT_RULES` in the app config (a dict with any of the fields below) overrides a default; regions
adopt the rules at different dates, so none of these numbers is written anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask import current_app, has_app_context


@dataclass(frozen=True)
class Milestone:
    due: date
    percent: float
    source: str  # "plan" (the county plan says so) or "assumed" (a default nobody has confirmed)

    def as_json(self) -> dict[str, Any]:
        return {"due": self.due.isoformat(), "percent": self.percent, "source": self.source}


@dataclass(frozen=True)
class PhaseoutRules:
    # Highest emission standard (国N) that is phased out.
    max_standard: int = 3
    # Diesel vehicle types in scope; light trucks join when `include_light_trucks` is set.
    diesel_types: tuple[str, ...] = ("heavy_truck", "medium_truck", "tractor")
    include_light_trucks: bool = False
    # With no recorded standard, a diesel registered before this date is taken as 国三 or older (inferred).
    china4_from: date = date(2013, 7, 1)
    gas_fuels: tuple[str, ...] = ("natural_gas", "lpg")
    # The default period and its milestones when the transport department has set none.
    default_period: str = "2019-2020"
    default_period_start: date = date(2019, 1, 1)
    default_milestones: tuple[Milestone, ...] = field(
        default_factory=lambda: (
            Milestone(date(2019, 12, 31), 40.0, "plan"),
            Milestone(date(2020, 12, 31), 100.0, "assumed"),
        )
    )
    # The projection extrapolates the weekly rate over this many trailing weeks.
    rate_weeks: int = 4

    @property
    def truck_types(self) -> tuple[str, ...]:
        return self.diesel_types + (("light_truck",) if self.include_light_trucks else ())


def current_rules() -> PhaseoutRules:
    """Return the rules in force: the defaults with the app's `PHASEOUT_RULES` applied."""
    rules = PhaseoutRules()
    overrides = dict(current_app.config.get("PHASEOUT_RULES") or {}) if has_app_context() else {}
    for key in ("china4_from", "default_period_start"):
        if isinstance(overrides.get(key), str):
            overrides[key] = date.fromisoformat(overrides[key])
    if "default_milestones" in overrides:
        overrides["default_milestones"] = tuple(
            m if isinstance(m, Milestone) else Milestone(date.fromisoformat(m["due"]), float(m["percent"]), m["source"])
            for m in overrides["default_milestones"]
        )
    for key in ("diesel_types", "gas_fuels"):
        if key in overrides:
            overrides[key] = tuple(overrides[key])
    return replace(rules, **overrides)
