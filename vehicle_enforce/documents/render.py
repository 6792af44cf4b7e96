"""HTML templates printed to A4 PDF by WeasyPrint, with the CJK fonts embedded.

Why WeasyPrint: the notices are HTML + CSS (Jinja templates like every page), and it embeds the
OpenType/CFF CJK fonts Debian ships (Noto Serif CJK SC, the 宋体-style face; Debian has no simplified
仿宋) as subsets; ReportLab cannot embed CFF-based OTF/TTC fonts. With HarfBuzz's subsetter
(libharfbuzz-subset0) a notice takes about 0.15 s; with fontTools' fallback it takes seconds.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from flask import current_app, render_template
from markupsafe import Markup, escape

from vehicle_enforce.core.pdf import html_to_pdf

TEMPLATES = {
    "turn_back": "documents/turn_back.html",
    "repair_order": "documents/repair_order.html",
    "penalty_sheet": "documents/penalty_sheet.html",
    "release": "documents/release.html",
    "spot_check_record": "documents/spot_check_record.html",
}


def verify_url(code: str) -> str:
    """Where the QR code and the printed code lead: VE_PUBLIC_URL/verify/<code>."""
    base = str(current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/verify/{code}"


def qr_data_uri(url: str) -> str:
    """The QR code of `url` as an SVG data URI (segno: pure Python, maintained, no image library)."""
    return str(segno.make(url, error="m", micro=False).svg_data_uri(scale=4, border=2))


def image_data_uri(content: bytes, media_type: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


def unit_text(value: object) -> Markup:
    """A value with its unit, superscripts as <sup>: the CJK font has no ⁻¹, and a fallback font for two
    glyphs would embed two more fonts in every notice."""
    return escape(value).replace("⁻¹", Markup("<sup>-1</sup>"))


def html(kind: str, context: dict[str, Any]) -> str:
    return render_template(TEMPLATES[kind], **context)


def pdf(page: str) -> bytes:
    """Print one notice's HTML page to PDF bytes (its links resolve inside the package)."""
    return html_to_pdf(page, base_url=current_app.root_path)
