"""Who files a report: the reporting unit (填报单位) of the caller's county, or the city's.

A county's reports name its environment bureau; the city level's name the city's bureau
(`VE_REPORTING_UNIT`). A county's unit is `VE_REPORTING_UNITS[code]` when set, else the city bureau's
branch named after the county (晋城市生态环境局 + 泽州县 → 晋城市生态环境局泽州分局, the form the 2019 reform
gave county bureaus).
"""

from __future__ import annotations

from flask import current_app

from vehicle_enforce.auth.models import County
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.extensions import db

COUNTY_SUFFIXES = ("自治县", "县", "市", "区")


def county_of(actor: Actor | None) -> County | None:
    """The caller's county; None for the city level (city staff, the CLI, tasks)."""
    if actor is None or actor.county_id is None:
        return None
    return db.session.get(County, actor.county_id)


def unit_of(county: County | None) -> str:
    city = str(current_app.config.get("REPORTING_UNIT") or "")
    if county is None:
        return city
    named = current_app.config.get("REPORTING_UNITS") or {}
    if county.code in named:
        return str(named[county.code])
    short = county.name
    for suffix in COUNTY_SUFFIXES:
        if short.endswith(suffix) and len(short) > len(suffix) + 1:
            short = short[: -len(suffix)]
            break
    return f"{city}{short}分局"


def unit_for(actor: Actor | None) -> str:
    """The reporting unit of `actor`'s reports."""
    return unit_of(county_of(actor))
