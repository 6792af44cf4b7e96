"""What documents sets up when the app is built: it reacts to no signal; it checks its settings."""

from __future__ import annotations

from flask import Flask

from vehicle_enforce.documents import numbering, render


def init_app(app: Flask) -> None:
    """The notices' template filter; refuse to start with a number template that would repeat numbers or
    names an unknown field."""
    app.jinja_env.filters["unit_text"] = render.unit_text
    for kinds in (app.config.get("DOCUMENT_NUMBER_TEMPLATES") or {}).values():
        for template in (kinds or {}).values():
            numbering.check_template(str(template))
