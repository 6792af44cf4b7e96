"""Personal data masked by role (PIPL): owners' credit codes, phones and addresses.

Departments that act on owners (environment, transport, police, admin) and the system itself see them
whole; everyone else (stations, townships) sees them masked. Logs never keep them whole: audit details
go through `mask_details`. Masks keep enough to tell records apart (first and last characters), never
enough to contact or identify an owner.
"""

from __future__ import annotations

from typing import Any

from vehicle_enforce.auth.models import Department
from vehicle_enforce.core.actors import Actor

#: Roles whose work needs owners' contact data (notices, penalties, phase-out).
PERSONAL_DATA_ROLES = frozenset({Department.environment, Department.transport, Department.police, Department.admin})


def sees_personal_data(principal: Actor) -> bool:
    """Whether `principal`'s role needs owners' personal data (the system's work does)."""
    if principal.kind == "system":
        return True
    return principal.department in PERSONAL_DATA_ROLES


def _keep(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_credit_code(value: str | None) -> str | None:
    return None if value is None else _keep(value, 2, 2)


def mask_phone(value: str | None) -> str | None:
    return None if value is None else _keep(value, 3, 2)


def mask_address(value: str | None) -> str | None:
    """Keep only the first few characters (the county or town), never the street and number."""
    if value is None:
        return None
    return value[:6] + "****" if len(value) > 6 else "****"


def mask_name(value: str | None) -> str | None:
    """A person's or an enterprise's name: the first character (the surname) and, for a longer name, the
    last two (an enterprise's 公司), never enough to identify an owner."""
    if value is None:
        return None
    return value[:1] + "*" * max(1, len(value) - 1) if len(value) <= 4 else _keep(value, 1, 2)


MASKS = {"credit_code": mask_credit_code, "phone": mask_phone, "address": mask_address}


def mask_fields(data: dict[str, Any], *, principal: Actor, force: bool = False) -> dict[str, Any]:
    """`data` with its personal fields masked unless the caller's role needs them (always when `force`)."""
    if not force and sees_personal_data(principal):
        return data
    return {k: (MASKS[k](v) if k in MASKS and isinstance(v, str) else v) for k, v in data.items()}


def mask_details(details: dict[str, Any]) -> dict[str, Any]:
    """For logs: phones and addresses masked, also inside `[old, new]` change pairs.

    The credit code stays: it names an enterprise (published in the national credit system) and is the
    key that ties a logged change to its owner record.
    """

    def one(key: str, value: Any) -> Any:
        if key not in ("phone", "address"):
            return value
        if isinstance(value, list):
            return [MASKS[key](v) if isinstance(v, str) else v for v in value]
        return MASKS[key](value) if isinstance(value, str) else value

    return {k: one(k, v) for k, v in details.items()}
