"""One transaction owner (#28): the request, the CLI command or the job commits; nothing else does.

The static checks walk the source of `vehicle_enforce/`; the others drive a request, a command and a
job through `core/transaction.py` and look at what was stored.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import click
import pytest
from flask.cli import with_appcontext

from tests.probes import township_row

PACKAGE = Path(__file__).resolve().parents[2] / "vehicle_enforce"
OWNER = PACKAGE / "core" / "transaction.py"

#: Who may call `transaction.checkpoint()` (commit part of the work, go on), and why.
CHECKPOINT_CALLERS = {
    # Imports of huge vendor files store each batch for good, so an interrupted import is simply rerun.
    "inspections/importer.py": "remote-sensing file import, one commit per batch (CLI)",
    # The claim must be visible to other senders before the (slow) HTTP send, and each batch's outcome
    # kept before the next claim.
    "exports/sender.py": "export sender: the claim, then each batch's outcome",
    # Parallel wrong passwords must see each reserved try before the slow hash; a refused login (401,
    # which rolls back) keeps its failure count and audit entry.
    "auth/views.py": "login: the reserved try and the failure count",
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != OWNER)


def _calls(path: Path, name: str) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if called == name:
            lines.append(node.lineno)
    return lines


def test_no_module_commits_by_hand() -> None:
    """`.commit()` (the session's, a connection's or `transaction.commit`) only in core/transaction.py."""
    found = [f"{p.relative_to(PACKAGE)}:{line}" for p in _modules() for line in _calls(p, "commit")]
    assert not found, f"commit by hand (use the request, @transaction.atomic() or a job): {found}"


def test_checkpoint_only_where_listed() -> None:
    callers = {str(p.relative_to(PACKAGE)) for p in _modules() if _calls(p, "checkpoint")}
    assert callers == set(CHECKPOINT_CALLERS), "checkpoint() callers changed: list the new one with its reason"


# --------------------------------------------------------------------------------------------------
# The request lifecycle


def _township_names(app: Any) -> set[str]:
    from sqlalchemy import select

    from vehicle_enforce.auth.models import Township
    from vehicle_enforce.extensions import db

    with app.app_context():
        names = set(db.session.scalars(select(Township.name)))
        db.session.rollback()
        return names


@pytest.fixture
def probe_app(app: Any) -> Any:
    """The app with a route that writes a township, then answers as told (or raises)."""
    from flask import jsonify, request

    from vehicle_enforce.core import tasks, transaction
    from vehicle_enforce.core.errors import Conflict
    from vehicle_enforce.extensions import db

    ran: list[str] = []

    def probe() -> Any:
        name = request.args["name"]
        db.session.add(township_row(name[-6:], name))
        db.session.flush()
        transaction.on_commit(lambda: ran.append(name))
        outcome = request.args["outcome"]
        if outcome == "raise":
            raise Conflict("refused")
        if outcome == "boom":
            raise RuntimeError("unexpected")
        return jsonify({}), int(outcome)

    app.add_url_rule("/test-probe", "test_probe", probe, methods=["POST"])  # posted with a CSRF token
    app.extensions["test_probe_ran"] = ran
    assert tasks.TASKS  # the tasks module is loaded (its queue goes through transaction.on_commit)
    return app


@pytest.mark.commits  # its own app (a probe route is added) and real commits, the thing under test
@pytest.mark.parametrize(
    ("outcome", "kept"),
    [("201", True), ("302", True), ("200", True), ("409", False), ("422", False), ("raise", False), ("boom", False)],
)
def test_request_commits_by_its_answer(probe_app: Any, outcome: str, kept: bool) -> None:
    name = f"探针{outcome}镇"
    res = probe_app.test_client().post(f"/test-probe?name={name}&outcome={outcome}")
    assert (res.status_code < 400) is kept
    assert (name in _township_names(probe_app)) is kept
    assert (name in probe_app.extensions["test_probe_ran"]) is kept


@pytest.mark.commits
def test_cli_command_is_one_transaction(app: Any) -> None:
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db

    @click.command("probe")
    @click.argument("name")
    @click.option("--fail", is_flag=True)
    @with_appcontext
    @transaction.atomic()
    def probe(name: str, fail: bool) -> None:
        db.session.add(township_row(name[-6:], name))
        db.session.flush()
        if fail:
            raise click.ClickException("refused")

    runner = app.test_cli_runner()
    assert runner.invoke(probe, ["命令成功镇"]).exit_code == 0
    assert runner.invoke(probe, ["命令失败镇", "--fail"]).exit_code == 1
    names = _township_names(app)
    assert "命令成功镇" in names
    assert "命令失败镇" not in names


@pytest.mark.commits
def test_failed_job_keeps_nothing_and_is_marked_failed(app: Any) -> None:
    from vehicle_enforce.core import jobs, tasks, transaction
    from vehicle_enforce.extensions import db

    def write_then_fail(name: str) -> None:
        db.session.add(township_row(name[-6:], name))
        db.session.flush()
        raise RuntimeError("half done")

    tasks.register("test.write_then_fail", write_then_fail)

    try:
        with app.app_context():
            job_id = tasks.run_later("test.write_then_fail", name="任务失败镇")
            transaction.commit()
            with pytest.raises(RuntimeError):
                tasks.execute(job_id)
            job = db.session.get(jobs.Job, job_id)
            assert job is not None and job.status == jobs.FAILED
            db.session.rollback()
        assert "任务失败镇" not in _township_names(app)
    finally:
        tasks.TASKS.pop("test.write_then_fail", None)
