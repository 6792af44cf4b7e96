"""The wiring is explicit: every signal receiver, task and session hook comes from a domain's `init_app`,
every command from `vehicle_enforce.cli.add_commands`, the Celery app from the worker's entry point.

Building the app twice connects each exactly once, and importing every module connects nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

# Who listens to what, in the order the receivers run (the order `create_app` wires the domains in).
EXPECTED_RECEIVERS = {
    "records_stored": [
        "exports.outbox.on_records_stored",
        "cases.wiring.write_feed",
    ],
    "bulk_writes_due": ["exports.outbox.write_now"],
    "verdicts_stored": ["blacklist.wiring.apply_listing_rule", "phaseout.wiring.verdicts_seen"],
    "repair_stored": ["cases.wiring.record_repair"],
    "vehicle_listed": ["cases.wiring.open_cases"],
    "listing_retested": ["cases.wiring.record_retests"],
    "listing_evidence_withdrawn": ["cases.wiring.evidence_withdrawn"],
    "case_step_record_withdrawn": ["cases.wiring.step_record_withdrawn"],
    "listing_released": ["cases.wiring.close_released"],
    "vehicle_seen": ["phaseout.wiring.vehicles_seen"],
    "vehicle_retired": ["cases.wiring.close_for_retirement"],
    "vehicle_history_wanted": ["blacklist.wiring.history", "cases.wiring.history"],
    "inbox_wanted": ["inspections.wiring.inbox", "reviews.wiring.inbox"],
    "hotlist_answering": ["alerts.wiring.restrictions"],
}
EXPECTED_TASKS = {
    "core.ensure_partitions",
    "core.ping",
    "core.retention",
    "core.run_job",
    "core.sweep_jobs",
    "exports.run",
    "inspections.read_plate",
    "vehicles.import_upload",
}
# SQLAlchemy hooks, by (Session | Engine, event name).
EXPECTED_HOOKS = {
    ("session", "before_flush"): ["core.audit._refuse_audit_changes", "core.bulk._reserve_ids"],
    ("session", "before_commit"): ["cases.feed.write_pending", "exports.outbox.write_outbox"],
    ("session", "after_soft_rollback"): ["cases.feed.forget_rolled_back", "exports.outbox.forget_outbox"],
    ("session", "after_transaction_end"): ["cases.feed.transaction_ended"],
    ("engine", "connect"): ["core.sqlite._sqlite_pragmas"],
}


def _name(func: Any) -> str:
    return f"{func.__module__}.{func.__qualname__}".removeprefix("vehicle_enforce.")


def receivers() -> dict[str, list[str]]:
    from vehicle_enforce import signals

    names = {value: key for key, value in vars(signals).items() if isinstance(value, signals.Signal)}
    assert set(names) == set(signals.ALL), "every declared signal is listed in signals.ALL"
    return {names[s]: [_name(r) for r in s.receivers_for("any sender")] for s in signals.ALL}


def hooks() -> dict[tuple[str, str], list[str]]:
    """The vehicle_enforce functions attached to every session and engine, by event."""
    session, engine = Session(), create_engine("sqlite://")
    found: dict[tuple[str, str], list[str]] = {}
    # An Engine's "connect" hooks live on its connection pool.
    for kind, target in (("session", session), ("engine", engine.pool)):
        for event_name in target.dispatch._event_names:  # every event the target offers
            ours = sorted(_name(f) for f in getattr(target.dispatch, event_name) if f.__module__.startswith("vehicle"))
            if ours:
                found[(kind, event_name)] = ours
    session.close()
    engine.dispose()
    return found


# The commands of `vehicle-enforce`, and of the `import` group.
EXPECTED_COMMANDS = {
    "db",
    "demo",
    "export",
    "hotlist",
    "reports",
    "import",
    "jobs",
    "partitions",
    "retention",
    "phaseout",
    "plates",
    "serve",
    "stations",
    "tokens",
    "townships",
    "counties",
    "users",
    "worker",
}
EXPECTED_IMPORTERS = {"vehicles", "remote-sensing", "nrmm"}


def test_building_the_app_twice_connects_each_receiver_once(tmp_path: Path) -> None:
    from vehicle_enforce import create_app
    from vehicle_enforce.core import tasks

    for n in (1, 2):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/wiring{n}.db", "INSTANCE_PATH": str(tmp_path)})
        assert receivers() == EXPECTED_RECEIVERS
        assert set(tasks.TASKS) >= EXPECTED_TASKS
        assert hooks() == EXPECTED_HOOKS


def test_the_entry_point_builds_every_command_each_time() -> None:
    from vehicle_enforce.cli import build_cli

    first, second = build_cli(), build_cli()
    assert first is not second
    for root in (first, second):
        assert set(root.commands) == EXPECTED_COMMANDS
        assert set(root.commands["import"].commands) == EXPECTED_IMPORTERS  # type: ignore[attr-defined]


def test_importing_every_module_connects_nothing(tmp_path: Path) -> None:
    """In a fresh interpreter: import every module of the package, build no app, find nothing wired."""
    script = textwrap.dedent(
        f"""
        import importlib, json, pkgutil, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import vehicle_enforce
        skip = {{"vehicle_enforce.wsgi", "vehicle_enforce.__main__"}}  # entry points that build the app
        for info in pkgutil.walk_packages(vehicle_enforce.__path__, "vehicle_enforce."):
            if info.name not in skip:
                importlib.import_module(info.name)
        import test_wiring
        from vehicle_enforce.core import tasks
        print(json.dumps({{
            "receivers": test_wiring.receivers(),
            "tasks": sorted(tasks.TASKS),
            "hooks": [list(k) for k in test_wiring.hooks()],
            "modules": len([m for m in sys.modules if m.startswith("vehicle_enforce.")]),
            **test_wiring.commands_and_celery(),
        }}))
        """
    )
    # With a broker configured, as the Celery worker runs: importing `celery_app` must still build nothing
    # (the port is closed: nothing may need the broker either).
    env = {**os.environ, "VE_BROKER_URL": "redis://127.0.0.1:9/15"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["modules"] > 100  # the walk really imported the package
    assert found["receivers"] == {name: [] for name in EXPECTED_RECEIVERS}
    assert found["tasks"] == []
    assert found["hooks"] == []
    assert found["groups"] >= 8  # the walk saw the domains' command groups
    assert found["attached"] == []
    assert found["root_commands"] == []
    assert found["celery_tasks"] == []
    assert found["flask_apps"] == 0


def commands_and_celery() -> dict[str, Any]:
    """What importing has attached: commands added to a group from outside the module defining it, commands
    of any root command (`FlaskGroup`), Celery tasks of ours, and Flask apps built."""
    import gc

    import click
    from celery import _state
    from flask import Flask
    from flask.cli import FlaskGroup

    groups, attached, root_commands = 0, [], []
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("vehicle_enforce"):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, FlaskGroup):
                root_commands += sorted(value.commands)
            if not isinstance(value, click.Group) or getattr(value.callback, "__module__", None) != module_name:
                continue  # a group is checked once, in the module that defines it
            groups += 1
            for name, command in value.commands.items():
                if getattr(command.callback, "__module__", None) != module_name:
                    attached.append(f"{module_name}.{value.name} {name}")
    celery_tasks = sorted(
        name for celery in _state._get_active_apps() for name in celery.tasks if not name.startswith("celery.")
    )
    apps = sum(1 for obj in gc.get_objects() if isinstance(obj, Flask))
    return {
        "groups": groups,
        "attached": attached,
        "root_commands": root_commands,
        "celery_tasks": celery_tasks,
        "flask_apps": apps,
    }


@pytest.mark.parametrize("name", sorted(EXPECTED_RECEIVERS))
def test_every_signal_says_what_it_sends(name: str) -> None:
    from vehicle_enforce import signals

    signal = getattr(signals, name)
    assert signal.__doc__ and "sender" in signal.__doc__
