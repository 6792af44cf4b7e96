"""Access for HTML pages: anonymous visitors go to the login page, other departments get a 403 page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import redirect, render_template, request, url_for

from vehicle_enforce.auth.models import Department
from vehicle_enforce.auth.principal import current_principal
from vehicle_enforce.core.errors import Unauthorized

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
                return render_template("forbidden.html"), 403
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator
