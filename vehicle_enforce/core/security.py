"""Protections every request and response get, whatever the route: security headers, the session
cookie's Secure flag, page-session lifetimes, the client's X-Request-ID and the proxies trusted.

Settings (all `VE_*`, see config.DEFAULTS and the README's security section): ENV, SESSION_COOKIE_SECURE,
SESSION_IDLE_TIMEOUT, SESSION_MAX_LIFETIME, PROXY_COUNT.
"""

from __future__ import annotations

import re
import time

from flask import Flask, Response, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

#: Pages load scripts, styles and images from this site only: no inline script or style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: A client's X-Request-ID is kept only if it is short and plain (it goes into logs and the audit log).
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

#: How often (seconds) a page session's "last seen" time is refreshed; each refresh re-sends the cookie.
SEEN_RESOLUTION = 60


def valid_request_id(value: str | None) -> bool:
    return bool(value) and REQUEST_ID.fullmatch(value or "") is not None


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions with the Secure flag decided per request.

    SESSION_COOKIE_SECURE true/false forces it; left unset, the cookie is Secure in production
    (VE_ENV=production) and whenever the request came over HTTPS (directly or through a trusted proxy).
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = app.config.get("SESSION_COOKIE_SECURE")
        if configured is not None:
            return bool(configured)
        if str(app.config.get("ENV", "")).lower() == "production":
            return True
        return has_request_context() and request.is_secure


def start_page_session(user_id: int, version: int) -> None:
    """A fresh session for a person who just logged in (the old one, if any, is dropped)."""
    now = int(time.time())
    session.clear()
    session["user_id"] = user_id
    session["session_version"] = version
    session["started"] = now
    session["seen"] = now
    session.permanent = False


def page_session_current() -> bool:
    """False when the session passed its idle timeout or its absolute lifetime (the caller clears it)."""
    started, seen = session.get("started"), session.get("seen")
    if not isinstance(started, int) or not isinstance(seen, int):
        return False
    now = int(time.time())
    config = current_app.config
    if now - started > int(config["SESSION_MAX_LIFETIME"]) or now - seen > int(config["SESSION_IDLE_TIMEOUT"]):
        return False
    if now - seen >= SEEN_RESOLUTION:
        session["seen"] = now
    return True


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies > 0:
        # Client address, scheme and host from X-Forwarded-* set by that many proxies; never otherwise.
        # Wrapping app.wsgi_app is how Flask documents WSGI middleware; mypy sees a method replaced.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]  # see above

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
