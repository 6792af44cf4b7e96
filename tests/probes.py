"""A row any test may write to probe transactions: a township of the seeded county (a township's county is
required since the counties migration)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select


def township_row(code: str, name: str) -> Any:
    from vehicle_enforce.auth.models import County, Township
    from vehicle_enforce.extensions import db

    county_id = db.session.scalar(select(County.id).order_by(County.id).limit(1))
    return Township(code=code, name=name, active=True, county_id=county_id)
