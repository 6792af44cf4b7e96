"""Who is calling: a person logged in to pages, a system with an API token, or the system itself.

Every API view declares the departments it admits with `@api_access(...)`; authentication runs before
any body is parsed, so an unauthenticated request never learns whether its body was valid.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from flask import current_app, g, has_request_context, request, session

from vehicle_enforce.auth import services
from vehicle_enforce.auth.models import Department
from vehicle_enforce.core import security
from vehicle_enforce.core.actors import Actor
from vehicle_enforce.core.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])


PUBLIC = "public"
ANY = "any"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BEARER_ONLY = (
    "this API call accepts 'Authorization: Bearer <token>' only: a page session may read the API, "
    "never change data or run a recorded lookup"
)


def current_principal() -> Actor | None:
    if not has_request_context():
        return None
    if "principal" not in g:
        g.principal = _authenticate()
    principal: Actor | None = g.principal
    return principal


def _authenticate() -> Actor | None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized("Authorization header must be 'Bearer <token>'")
        token = services.authenticate_token(secret.strip())
        if token is None:
            raise Unauthorized("token is unknown or revoked")
        return services.token_actor(token)
    user_id = session.get("user_id")
    if user_id is None or not session_may_call():
        return None
    if not isinstance(user_id, int) or not security.page_session_current():
        session.clear()
        return None
    user = services.active_user(user_id, session.get("session_version"))
    if user is None:  # logged out elsewhere, password changed or account disabled
        session.clear()
        return None
    return services.user_actor(user)


def session_may_call() -> bool:
    """Whether the page-session cookie may authenticate this request.

    Any page, and API reads; never an API call that changes data (a cross-site page could make the
    browser send it with the cookie) nor a read the API records, such as a hotlist lookup.
    """
    if not request.path.startswith("/api/"):
        return True
    if request.method not in SAFE_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "api_bearer_only", False)


def api_access(*departments: str, bearer_only: bool = False) -> Callable[[F], F]:
    """Admit callers of the given departments (`admin` is always admitted; PUBLIC admits anyone).

    `bearer_only`: a read that is recorded (a hotlist lookup) admits API tokens only, as writes do.
    """

    allowed = frozenset(str(d) for d in departments)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if PUBLIC not in allowed:
                require(allowed)
            return view(*args, **kwargs)

        # Marks on the view, read back with getattr (the OpenAPI document, the bearer-only check above):
        # mypy knows no attributes on a function.
        wrapper.api_departments = allowed  # type: ignore[attr-defined]  # a mark, see above
        wrapper.api_bearer_only = bearer_only  # type: ignore[attr-defined]  # a mark, see above
        return cast(F, wrapper)

    return decorator


def require(departments: Iterable[str]) -> Actor:
    allowed = set(departments)
    principal = current_principal()
    if principal is None:
        if session.get("user_id") is not None and not session_may_call():
            raise Unauthorized(BEARER_ONLY)
        raise Unauthorized("authentication required: send 'Authorization: Bearer <token>' or log in")
    if ANY in allowed or principal.department == Department.admin or principal.department in allowed:
        return principal
    raise Forbidden(f"department '{principal.department}' may not do this")


def principal_or_401() -> Actor:
    principal = current_principal()
    if principal is None:
        raise Unauthorized("authentication required")
    return principal
