"""Print an HTML page to PDF: one function for every PDF the service writes (notices, reports).

WeasyPrint lays out HTML + CSS with Pango and embeds the fonts it uses as subsets (the Debian CJK fonts
installed by scripts/ensure-browser.sh), so a PDF reads the same on any machine.
"""

from __future__ import annotations


def html_to_pdf(page: str, *, base_url: str | None = None) -> bytes:
    """The PDF bytes of one HTML page; `base_url` resolves its relative links (images, fonts)."""
    import weasyprint

    return bytes(weasyprint.HTML(string=page, base_url=base_url).write_pdf())
