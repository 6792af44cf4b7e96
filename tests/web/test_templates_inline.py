"""Page templates keep styles and scripts in static files, as the Content-Security-Policy requires."""

from __future__ import annotations

import re
from pathlib import Path

import vehicle_enforce

#: Templates printed to PDF by WeasyPrint on the server, never served to a browser under the CSP.
PRINTED = {"documents/_notice.html", "reports/monthly.html"}


def test_no_page_template_carries_inline_style_or_script():
    """The Content-Security-Policy ('self' only) blocks inline styles and scripts: a `style=` attribute
    or a <style>/<script> body in a page silently loses its effect in the browser (the print buttons of
    the notices did). Every page template keeps them in static files; only PDF templates may inline."""
    root = Path(vehicle_enforce.__file__).parent / "templates"
    offending = []
    for path in sorted(root.rglob("*.html")):
        name = str(path.relative_to(root))
        if name in PRINTED:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\sstyle\s*=|<style\b|<script\b(?![^>]*\bsrc=)", text):
            offending.append(name)
    assert not offending, f"inline style or script in page templates: {offending}"
