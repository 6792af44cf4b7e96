"""Access for HTML pages: anonymous visitors go to the login page, other departments get a 403 page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import g, redirect, request, url_for
from sqlalchemy import select

from vehicle_enforce.auth.models import Department, User
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.errors import Unauthorized, error_page
from vehicle_enforce.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def page_access(*departments: str) -> Callable[[F], F]:
    """Admit logged-in people of the given departments (admin always); `page_access()` admits any."""

    allowed = frozenset(str(d) for d in departments)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                principal = current_principal()
            except Unauthorized:
                principal = None
            if principal is None or principal.kind != "user":
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if allowed and principal.department != Department.admin and principal.department not in allowed:
                return error_page(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def person(name: str | None) -> str:
    """Who acted, as a page shows it: a person by display name (环境局执法员 张三), never a login name;
    the system, its tasks and commands (`system`, `task:…`, `cli:…`) as 系统自动. A name no account has
    (an API token's, a station's operator) is shown as recorded."""
    if not name:
        return "—"
    if name == "system" or name.split(":", 1)[0] in ("task", "cli", "reviews", "phaseout", "system"):
        return "系统自动"
    login = name.removeprefix("user:")
    known: dict[str, str] = g.setdefault("display_names", {})
    if login not in known:
        shown = db.session.scalar(select(User.display_name).where(User.username == login))
        known[login] = shown or name
    return known[login]
