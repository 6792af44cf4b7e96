"""The Flask test client as a browser uses the pages: every form it posts carries the CSRF token.

Tests run the configuration that ships, CSRF protection included (`tests/core/test_csrf_always_on.py`
fails if a test configuration turns it off). A browser posts a page's form with the token the page
rendered into it; `PageClient` does the same: before an unsafe request to a page it takes the token
the page would render for this client's session (Flask-WTF's `generate_csrf`, what `{{ csrf_token() }}`
writes into every form) and sends it as the form field, or as the `X-CSRFToken` header for a body that
is not a form. JSON API calls (`/api/...`) go unchanged: they authenticate by bearer token and are
exempt from CSRF.

A test that means to post without a token (to see it refused) passes `csrf=False`, or a `csrf_token`
of its own, which is sent as given.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context, session
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FIELD = "csrf_token"


class PageClient(FlaskClient):
    def open(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:
        method = str(kwargs.get("method") or "GET").upper()
        path = args[0] if args and isinstance(args[0], str) else None
        if csrf and method in UNSAFE and path is not None and not path.split("?")[0].startswith("/api/"):
            self._add_token(kwargs)
        if has_app_context():
            # A test's app context is reused by the requests it makes, `g` with it: without this, a page
            # would render the token Flask-WTF cached for whichever session asked last, not this one's.
            g.pop(FIELD, None)
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        """The token a page rendered now for this client's session would carry in its forms."""
        from flask_wtf.csrf import generate_csrf

        app = self.application
        with self.session_transaction() as stored:
            page = app.test_request_context()
            self._add_cookies_to_wsgi(page.request.environ)  # the request a page is rendered for
            with page:
                # The test's app context may be the one requests run in (its `g` shared): a token
                # Flask-WTF cached there belongs to whatever session rendered it last.
                g.pop(FIELD, None)
                token: str = generate_csrf()
                g.pop(FIELD, None)
                if FIELD not in stored:  # a first page of this session: its token is kept in the session
                    stored[FIELD] = session[FIELD]
        return token

    def _add_token(self, kwargs: dict[str, Any]) -> None:
        data = kwargs.get("data")
        if "json" in kwargs or isinstance(data, str | bytes):
            headers = dict(kwargs.get("headers") or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        elif data is None:
            kwargs["data"] = {FIELD: self.csrf_token()}
        elif isinstance(data, MultiDict):
            if FIELD not in data:
                data = data.copy()
                data.add(FIELD, self.csrf_token())
                kwargs["data"] = data
        elif isinstance(data, dict) and FIELD not in data:
            kwargs["data"] = {**data, FIELD: self.csrf_token()}
