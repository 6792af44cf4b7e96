"""Declarative base, naming convention and the UTC timestamp type shared by every domain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapper, registry
from sqlalchemy.types import TypeDecorator

# Named constraints let Alembic drop and alter them by name on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and always return them aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def listen(target: Any, identifier: str, fn: Callable[..., Any]) -> None:
    """Attach a SQLAlchemy event hook once (from an `init_app`): attaching it again changes nothing."""
    if not sa_event.contains(target, identifier, fn):
        sa_event.listen(target, identifier, fn)


def init_app(_app: Any) -> None:
    """Hold UTC columns' values in UTC from the moment they are set (see `_utc_on_assignment`)."""
    listen(Mapper, "mapper_configured", _utc_on_assignment)
    for mapper in Base.registry.mappers:
        if mapper.configured:  # mapped and configured before this app was built (another app, a test)
            _utc_on_assignment(mapper, mapper.class_)


def _utc_on_assignment(mapper: Mapper[Any], cls: type) -> None:
    """Convert aware datetimes set on UTC columns to UTC, as the database gives them back.

    Answers are built before the request's commit (`core/transaction.py`), so an object's values must
    already be what a reload would give: an `expires_at` given as +08:00 reads back as UTC either way.
    """
    for prop in mapper.column_attrs:
        if any(isinstance(col.type, UTCDateTime) for col in prop.columns):
            attribute = getattr(cls, prop.key)
            if not sa_event.contains(attribute, "set", _to_utc):
                sa_event.listen(attribute, "set", _to_utc, retval=True)


def _to_utc(_target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value
