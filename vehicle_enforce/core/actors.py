"""Who acts: the person, API token or system a service call is made for.

Views and the API resolve the actor of a request (`auth.principal.current_principal()`), CLI commands
and background tasks name theirs, and each passes it to the services it calls, which pass it on to the
audit log. `core` only holds the shape; authenticating a caller is the `auth` domain's work.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # user | token | system | anonymous
    id: int | None  # the user's or the token's id
    name: str
    department: str | None  # an `auth.models.Department` value
    township_id: int | None = None  # a township account's township
    station_id: int | None = None  # a station account's station
    county_id: int | None = None  # the account's county; None: the city level (sees every county)
    county_code: str | None = None  # that county's division code (the `county` of its log lines)

    def is_(self, *departments: str) -> bool:
        return self.department in departments


SYSTEM = Actor(kind="system", id=None, name="system", department=None)
ANONYMOUS = Actor(kind="anonymous", id=None, name="anonymous", department=None)


def system(name: str) -> Actor:
    """The system acting under a name of its own (a CLI command run by `cli:<login>`, a task)."""
    return Actor(kind="system", id=None, name=name, department=None)
