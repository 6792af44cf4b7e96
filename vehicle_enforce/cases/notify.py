"""Notices: stored always, then handed to a pluggable sender (logging by default; SMS gateways later).

Configure `NOTICE_SENDER` with a dotted path to a callable `send(notice) -> None` that raises on failure.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from flask import current_app

from vehicle_enforce.cases.models import Notice
from vehicle_enforce.core.timeutil import now_utc
from vehicle_enforce.extensions import db

log = logging.getLogger("vehicle_enforce.notices")


def logging_sender(notice: Notice) -> None:
    log.info("notice %s to %s %s: %s", notice.kind, notice.recipient_kind, notice.recipient, notice.message)


def _sender() -> Callable[[Notice], None]:
    path = current_app.config.get("NOTICE_SENDER")
    if not path:
        return logging_sender
    module, _, name = str(path).rpartition(".")
    sender: Callable[[Notice], None] = getattr(importlib.import_module(module), name)
    return sender


def notify(case_id: int | None, recipient_kind: str, recipient: str, kind: str, message: str) -> Notice:
    """Store a notice and send it; a failed send is recorded on the notice, never lost."""
    sender = _sender()
    notice = Notice(
        case_id=case_id,
        recipient_kind=recipient_kind,
        recipient=recipient,
        kind=kind,
        message=message,
        channel=getattr(sender, "channel", "log"),
    )
    db.session.add(notice)
    try:
        sender(notice)
        notice.sent_at = now_utc()
    except Exception as exc:  # a gateway failure must not lose the notice or the case action
        notice.send_error = str(exc)[:500]
    return notice
