"""The append-only audit log: who did what to which object, when, and what changed.

Entries are written in the same transaction as the change they record (`record()` only adds to the
session). The application never updates or deletes them; on PostgreSQL a trigger refuses it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from vehicle_enforce.core import bulk, requestid
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.db import listen
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import Model, db


class AuditEntry(Model):
    __tablename__ = "audit_log"
    # On PostgreSQL partitioned by month on `at` (core/partitions.py); primary key (id, at) there.

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))  # user | token | system
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(128))
    department: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditImmutable(Exception):
    """Raised when code tries to change or delete an audit entry."""


def init_app(_app: Any) -> None:
    """Guard the audit log against edits in every session."""
    listen(Session, "before_flush", _refuse_audit_changes)


def _refuse_audit_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise AuditImmutable("audit entries are append-only")


def current_request_id() -> str | None:
    """The request id this entry belongs to: the request's, or the one a background job runs under."""
    return requestid.current()


def record(
    action: str,
    object_type: str,
    object_id: Any = None,
    changes: dict[str, Any] | None = None,
    *,
    actor: Actor,
    session: Session | None = None,
) -> AuditEntry:
    """Add an audit entry for `actor`: the caller the service was given (a person, a token, the system)."""
    who = actor
    entry = AuditEntry(
        actor_kind=who.kind,
        actor_id=who.id,
        actor_name=who.name,
        department=who.department,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        request_id=current_request_id(),
        changes=_jsonable(changes) if changes else None,
    )
    (session or db.session).add(entry)
    return entry


def record_many(changes: Sequence[tuple[str, str, Any, dict[str, Any] | None]], *, actor: Actor) -> None:
    """Audit a set of changes, (action, object type, object id, changes) each, in one bulk insert.

    For the set-wise paths (the listing rule lists hundreds of vehicles in one batch of passes): the
    rows go straight to the table in the caller's transaction instead of one ORM object each.
    """
    if not changes:
        return
    who = actor
    at, request_id = now_utc(), current_request_id()
    bulk.insert_rows(
        AuditEntry.__table__,
        [
            {
                "at": at,
                "actor_kind": who.kind,
                "actor_id": who.id,
                "actor_name": who.name,
                "department": who.department,
                "action": action,
                "object_type": object_type,
                "object_id": None if object_id is None else str(object_id),
                "request_id": request_id,
                "changes": _jsonable(change) if change else None,
            }
            for action, object_type, object_id, change in changes
        ],
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
