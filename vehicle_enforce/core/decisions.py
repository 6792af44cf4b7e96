"""Decisions that change a record (确认超标, 驳回, 报废结案, a case's next step) are confirmed twice.

The page's button carries its question (`_evidence.html: decision`); with script, `static/evidence.js`
asks in a dialog and sends the form with `confirmed=1`. The server never relies on that: a decision
posted without `confirmed=1` changes nothing and answers the confirmation step, a page that repeats the
form's values with an explicit confirmation checkbox (so a browser without script, or a stray request,
cannot decide by one click). The view parses its form first, so a wrong field is shown beside the field
before anyone is asked to confirm.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request

#: The form field that says the person confirmed the decision.
CONFIRMED = "confirmed"


def confirmed() -> bool:
    return request.form.get(CONFIRMED) == "1"


def ask(question: str, *, label: str = "确认执行", kind: str = "danger") -> Any:
    """The confirmation step of the posted decision: nothing is stored until it is sent back confirmed."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", CONFIRMED)]
    return render_template(
        "confirm_step.html",
        question=question,
        label=label,
        kind=kind,
        fields=fields,
        action=request.path,
        back=request.path,
    )
