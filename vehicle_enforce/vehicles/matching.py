"""Match plate reads to registered vehicles through the indexed confusion key (never a scan).

Linking a record (a pass, a test) to a vehicle: call `link_for(result)` and store both values it
returns. An exact match links with status `exact`; a probable one links too but is marked `probable`
so lists can show it and a person can correct it; an ambiguous one is not linked (status `ambiguous`)
until a person picks the vehicle through `services.confirm_match`, after which the domain stores
status `confirmed`.
"""

from __future__ import annotations

import enum
import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Select, String, any_, bindparam, select
from sqlalchemy.dialects import postgresql

from plates import MatchResult, confusion_key, rank_candidates
from vehicle_enforce.extensions import db
from vehicle_enforce.vehicles.models import Vehicle

NO_MATCH = MatchResult("none", [])


def match_plate(plate: str | None, plate_color: str | None) -> MatchResult:
    """Decide which registered vehicle a read names: exact, probable, ambiguous or none."""
    return match_many_with([(plate, plate_color)])[0][0]


def match_many(reads: Sequence[tuple[str | None, str | None]]) -> list[MatchResult]:
    """Match a batch of (plate, plate_color) reads with one query for all their keys."""
    return match_many_with(reads)[0]


#: Keys per candidate query (a hotlist batch holds up to 1,000 reads).
CHUNK = 1000


@functools.cache
def candidate_query(dialect: str, extend: Callable[[Select[Any]], Select[Any]] | None = None) -> Select[Any]:
    """The candidate query for `dialect`, built once: registered plates whose confusion key is in `:keys`.

    On PostgreSQL the keys travel as one array parameter (`= ANY(:keys)`): the statement text is the
    same for every batch, so the server prepares it once, and neither side renders or parses a
    placeholder per key. Elsewhere an expanding IN. `extend` (a module-level function, so the built
    statement is cached per caller) adds columns and the joins they need, at most one row per vehicle.
    """
    if dialect == "postgresql":
        condition = Vehicle.plate_key == any_(bindparam("keys", type_=postgresql.ARRAY(String)))
    else:
        condition = Vehicle.plate_key.in_(bindparam("keys", expanding=True))
    stmt: Select[*tuple[Any, ...]] = select(Vehicle.plate_key, Vehicle.id, Vehicle.plate, Vehicle.plate_color).where(
        condition
    )
    return extend(stmt) if extend is not None else stmt


def match_many_with(
    reads: Sequence[tuple[str | None, str | None]], extend: Callable[[Select[Any]], Select[Any]] | None = None
) -> tuple[list[MatchResult], dict[int, tuple[Any, ...]]]:
    """`match_many`, also fetching per-vehicle columns in the same query.

    The columns `extend` adds (see candidate_query) come back as `{vehicle_id: (extra, ...)}` for every
    candidate vehicle. This is how the hotlist reads a vehicle's active entry and case in the same
    round trip as the match.
    """
    keys = [confusion_key(plate or "") for plate, _ in reads]
    wanted = sorted({k for k in keys if k})
    by_key: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    extras: dict[int, tuple[Any, ...]] = {}
    connection = db.session.connection()
    query = candidate_query(connection.dialect.name, extend)
    for start in range(0, len(wanted), CHUNK):
        # Core execution on the session's connection: these are plain columns, so the ORM's result
        # layer would only add per-row work (measurable on 1,000-read hotlist batches).
        rows = connection.execute(query, {"keys": wanted[start : start + CHUNK]}).all()  # one fetch, not per row
        for key, vehicle_id, plate, colour, *extra in rows:
            by_key[key].append((vehicle_id, plate, colour))
            extras[vehicle_id] = tuple(extra)
    results = []
    for (plate, colour), key in zip(reads, keys, strict=True):
        results.append(rank_candidates(plate or "", colour, by_key.get(key, [])) if key else NO_MATCH)
    return results, extras


class LinkStatus(enum.StrEnum):
    exact = "exact"
    probable = "probable"
    ambiguous = "ambiguous"  # not linked: waits for a person
    none = "none"  # no registered vehicle
    confirmed = "confirmed"  # linked by a person (audited by services.confirm_match)


#: Chinese labels of the match decisions stored with a record.
LINK_STATUS_ZH: dict[str, str] = {
    "exact": "精确匹配",
    "probable": "疑似匹配",
    "ambiguous": "待人工确认",
    "none": "未匹配",
}


def link_for(result: MatchResult) -> tuple[int | None, LinkStatus]:
    """Return (vehicle_id to store, link status) for a match: only exact and probable matches link."""
    candidate = result.match
    return (candidate.vehicle_id if candidate else None), LinkStatus(result.decision)


def match_json(result: MatchResult) -> dict[str, object]:
    """Render a match for the API: decision, the normalised read, the linked vehicle and candidates."""
    candidate = result.match
    return {
        "decision": result.decision,
        "read": result.read,
        "vehicle_id": candidate.vehicle_id if candidate else None,
        "candidates": [
            {
                "vehicle_id": c.vehicle_id,
                "plate": c.plate,
                "plate_color": c.plate_color.value,
                "score": round(c.score, 3),
            }
            for c in result.candidates
        ],
    }
