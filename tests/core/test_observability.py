"""Logs, metrics and readiness as the shipped configuration has them (`create_app()` defaults).

JSON log lines carry the request id (also into the jobs a request queues and their audit rows);
`/metrics` parses with prometheus_client's own parser and counts what happened; `/readyz` answers 503
naming what failed when the database is down, behind the migrations, or the broker is unreachable.
The same under gunicorn (`vehicle-enforce serve`, several workers): tests/core/test_processes.py.
"""

from __future__ import annotations

import json
import logging
import socket
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import passes


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def samples(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics (asked from loopback, as Prometheus on the host does), parsed."""
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# -- Logs ---------------------------------------------------------------------------------------------


def test_shipped_logs_are_json_lines_one_per_request_with_its_id(app, client, auth_headers, capsys):
    assert app.config["LOG_FORMAT"] == "json"  # the shipped default, no override
    police = auth_headers("police")
    capsys.readouterr()
    r = client.get(
        "/api/v1/hotlist/check?plate=晋E99999&plate_color=yellow&reason=核对",
        headers={**police, "X-Request-ID": "req-obs-1"},
    )
    assert r.status_code == 200 and r.headers["X-Request-ID"] == "req-obs-1"
    lines = json_lines(capsys.readouterr().err)
    requests = [line for line in lines if line["logger"] == "vehicle_enforce.request"]
    assert len(requests) == 1, lines
    line = requests[0]
    assert line["request_id"] == "req-obs-1"
    assert line["method"] == "GET" and line["route"] == "/api/v1/hotlist/check" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["principal"] == "token:test-police" and line["department"] == "police"
    assert line["county"] == app.config["REGION_CODE"]  # a city-level token: the deployment's code
    assert line["level"] == "INFO" and line["time"]


def test_a_county_callers_log_line_names_its_county(client, capsys):
    from vehicle_enforce.auth import services
    from vehicle_enforce.auth.models import Department
    from vehicle_enforce.auth.schemas import TokenIn
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.actors import SYSTEM

    issued = services.create_token(TokenIn(name="zz", department=Department.police, county="140525"), actor=SYSTEM)
    transaction.commit()
    capsys.readouterr()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.secret}"}).status_code == 200
    lines = [x for x in json_lines(capsys.readouterr().err) if x["logger"] == "vehicle_enforce.request"]
    assert [x["county"] for x in lines] == ["140525"], lines


def test_a_request_without_id_gets_one_and_its_log_line_and_answer_agree(client, capsys):
    capsys.readouterr()
    r = client.get("/no-such-page", headers={"X-Request-ID": "bad id with spaces"})
    assert r.status_code == 404
    rid = r.headers["X-Request-ID"]
    assert rid != "bad id with spaces"
    (line,) = [x for x in json_lines(capsys.readouterr().err) if x["logger"] == "vehicle_enforce.request"]
    assert line["request_id"] == rid and line["route"] == "unmatched" and line["status"] == 404


def test_a_request_that_fails_inside_is_logged_and_counted_as_500(app_config, capsys):
    from vehicle_enforce import create_app

    failing = create_app(app_config)

    def boom(n: int) -> None:
        raise RuntimeError("a bug")

    failing.add_url_rule("/obs-boom/<int:n>", "obs_boom", boom)
    client = failing.test_client()
    before = samples(client)
    capsys.readouterr()
    r = client.get("/obs-boom/7", headers={"X-Request-ID": "req-obs-500"})
    assert r.status_code == 500
    lines = json_lines(capsys.readouterr().err)
    (line,) = [x for x in lines if x["logger"] == "vehicle_enforce.request"]
    assert (line["route"], line["status"], line["request_id"]) == ("/obs-boom/<int:n>", 500, "req-obs-500")
    assert any(
        x["level"] == "ERROR" and x["request_id"] == "req-obs-500" and "a bug" in x.get("exc_info", "") for x in lines
    )
    labels = {"route": "/obs-boom/<int:n>", "method": "GET", "status": "500"}
    assert (
        value(samples(client), "ve_http_requests_total", **labels) - value(before, "ve_http_requests_total", **labels)
        == 1
    )


def test_every_record_logged_in_a_request_carries_the_id(app, capsys):
    with app.test_request_context("/", headers={"X-Request-ID": "req-obs-2"}):
        logging.getLogger("vehicle_enforce.some_domain").warning("车辆 %s 未找到", "晋E00001")
    (line,) = [x for x in json_lines(capsys.readouterr().err) if x["logger"] == "vehicle_enforce.some_domain"]
    assert line == {**line, "request_id": "req-obs-2", "level": "WARNING", "message": "车辆 晋E00001 未找到"}


def test_text_format_for_development(app_config, monkeypatch, capsys):
    from vehicle_enforce import create_app

    monkeypatch.setenv("VE_LOG_FORMAT", "text")
    dev = create_app(app_config)
    try:
        capsys.readouterr()
        dev.test_client().get("/healthz", headers={"X-Request-ID": "req-obs-3"})
        err = capsys.readouterr().err
        assert "INFO [req-obs-3] vehicle_enforce.request: GET /healthz 200" in err
        assert not json_lines(err)
    finally:
        monkeypatch.delenv("VE_LOG_FORMAT")
        create_app(app_config)  # the shipped format again for the tests after this one


def test_an_unknown_log_format_is_refused_at_start(app_config):
    from vehicle_enforce import create_app

    with pytest.raises(ValueError, match="VE_LOG_FORMAT"):
        create_app({**app_config, "LOG_FORMAT": "xml"})
    create_app(app_config)


def test_a_job_runs_with_the_request_id_of_the_request_that_queued_it(app, monkeypatch, capsys):
    """The request id reaches the worker through the job row: its log lines and audit rows carry it."""
    from sqlalchemy import select

    from vehicle_enforce.core import actors, audit, tasks, transaction
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.core.jobs import Job
    from vehicle_enforce.extensions import db

    def probe(note: str) -> None:
        logging.getLogger("vehicle_enforce.probe").info("probe %s", note)
        audit.record("test.probe", "probe", note, actor=actors.SYSTEM)

    monkeypatch.setitem(tasks.TASKS, "tests.probe", probe)
    with app.test_request_context("/", headers={"X-Request-ID": "req-obs-4"}):
        job_id = tasks.run_later("tests.probe", note="n1")
        transaction.commit()
    assert db.session.get(Job, job_id).request_id == "req-obs-4"
    capsys.readouterr()
    tasks.execute(job_id)  # what the Celery task and the embedded worker run
    lines = json_lines(capsys.readouterr().err)
    assert any(x["logger"] == "vehicle_enforce.probe" and x["request_id"] == "req-obs-4" for x in lines), lines
    done = [x for x in lines if x.get("job_id") == job_id]
    assert done and done[0]["request_id"] == "req-obs-4" and done[0]["task"] == "tests.probe"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "test.probe")).one()
    assert entry.request_id == "req-obs-4"


def test_a_job_queued_outside_a_request_runs_under_an_id_of_its_own(app, monkeypatch):
    from sqlalchemy import select

    from vehicle_enforce.core import actors, audit, tasks, transaction
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.extensions import db

    monkeypatch.setitem(
        tasks.TASKS, "tests.probe", lambda: audit.record("test.probe2", "probe", None, actor=actors.SYSTEM)
    )
    job_id = tasks.run_later("tests.probe")
    transaction.commit()
    tasks.execute(job_id)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "test.probe2")).one()
    assert entry.request_id == f"job-{job_id}"


# -- Metrics ------------------------------------------------------------------------------------------


def test_metrics_parse_and_count_requests_passes_listings_and_hotlist(app, client, auth_headers, vehicle_factory):
    from vehicle_enforce.core.timeutil import now_utc

    vehicle_factory("晋E77001")
    station = auth_headers("station", station="JC-RS-01")
    police = auth_headers("police")
    before = samples(client)
    when = (now_utc() - timedelta(days=2)).isoformat()
    body = {
        "passes": [
            passes.pass_body("OBS-1", when, plate="晋E77001", opacity_pct=55.0),  # exceeds
            passes.pass_body("OBS-2", when, plate="晋E77001"),
            passes.pass_body("OBS-3", "not a time"),
        ]
    }
    r = client.post("/api/v1/remote-sensing/passes", json=body, headers=station)
    assert r.status_code == 201, r.get_json()
    r = client.post("/api/v1/remote-sensing/passes", json={"passes": body["passes"][:1]}, headers=station)
    assert r.get_json()["results"][0]["status"] == "duplicate"
    r = client.post(
        "/api/v1/hotlist/check",
        json={"reads": [{"plate": "晋E77001", "plate_color": "yellow"}, {"plate": "晋E00002"}], "reason": "核对"},
        headers=police,
    )
    assert r.status_code == 200
    after = samples(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = "/api/v1/remote-sensing/passes"
    assert grew("ve_http_requests_total", route=route, method="POST", status="201") == 1
    assert grew("ve_http_requests_total", route=route, method="POST", status="200") == 1
    assert grew("ve_http_request_duration_seconds_count", route=route, method="POST") == 2
    assert grew("ve_http_request_duration_seconds_bucket", route=route, method="POST", le="+Inf") == 2
    assert grew("ve_passes_received_total", status="created") == 2
    assert grew("ve_passes_received_total", status="invalid") == 1
    assert grew("ve_passes_received_total", status="duplicate") == 1
    assert grew("ve_passes_judged_total", verdict="exceed") == 1
    assert grew("ve_passes_judged_total", verdict="pass") == 1
    assert grew("ve_hotlist_reads_total", mode="batch") == 2
    # one exceeding pass lists nothing (two on different days are needed); the miss is no hit
    assert sum(v for (name, _), v in after.items() if name == "ve_hotlist_hits_total") == sum(
        v for (name, _), v in before.items() if name == "ve_hotlist_hits_total"
    )


def test_hotlist_hits_and_listings_are_counted(app, client, auth_headers, vehicle_factory):
    from vehicle_enforce.core.timeutil import now_utc

    vehicle_factory("晋E77002")
    station = auth_headers("station", station="JC-RS-01")
    before = samples(client)
    days = [(now_utc() - timedelta(days=d)).isoformat() for d in (3, 2)]
    body = {
        "passes": [passes.pass_body(f"OBS-L{i}", day, plate="晋E77002", opacity_pct=55.0) for i, day in enumerate(days)]
    }
    assert client.post("/api/v1/remote-sensing/passes", json=body, headers=station).status_code == 201
    r = client.get(
        "/api/v1/hotlist/check?plate=晋E77002&plate_color=yellow&reason=核对", headers=auth_headers("police")
    )
    action = r.get_json()["action"]
    assert action != "none"
    after = samples(client)
    assert value(after, "ve_listings_total", kind="rule") - value(before, "ve_listings_total", kind="rule") == 1
    assert (
        value(after, "ve_hotlist_hits_total", action=action) - value(before, "ve_hotlist_hits_total", action=action)
        == 1
    )
    assert (
        value(after, "ve_hotlist_reads_total", mode="single") - value(before, "ve_hotlist_reads_total", mode="single")
        == 1
    )


def test_gauges_read_the_stored_backlog_rate_and_jobs(app, client):
    from vehicle_enforce.core import metrics, tasks, transaction
    from vehicle_enforce.core.timeutil import local_day, now_utc
    from vehicle_enforce.exports.models import ExportRecord
    from vehicle_enforce.extensions import db

    today = local_day(now_utc())
    for i, status in enumerate(["pending", "pending", "failed", "acknowledged"]):
        db.session.add(
            ExportRecord(
                target="obs-platform",
                kind="remote_sensing_pass",
                object_id=str(i),
                idempotency_key=f"obs-{i}",
                payload={},
                occurred_at=now_utc(),
                due_day=today,
                status=status,
            )
        )
    tasks.run_later("core.ping", value="x")
    transaction.commit()
    metrics.forget_readings()
    found = samples(client)
    assert value(found, "ve_export_backlog", target="obs-platform", status="pending") == 2
    assert value(found, "ve_export_backlog", target="obs-platform", status="failed") == 1
    assert value(found, "ve_export_transmission_rate", target="obs-platform") == 0.25
    assert value(found, "ve_jobs", status="queued") >= 1
    assert value(found, "ve_task_queue_messages", queue="embedded") >= 1
    for source in ("exports", "jobs", "task_queue"):
        assert value(found, "ve_metrics_source_up", source=source) == 1


def test_the_broker_queue_depth_is_read_from_redis(app_config):
    import redis

    from tests.conftest import service_unavailable
    from vehicle_enforce import create_app

    broker = "redis://127.0.0.1:6379/13"
    try:
        redis.Redis.from_url(broker).delete("celery")
    except Exception as exc:
        service_unavailable("Redis at 127.0.0.1:6379", exc)
    with_broker = create_app({**app_config, "BROKER_URL": broker})
    client = with_broker.test_client()
    try:
        found = samples(client)
        assert value(found, "ve_task_queue_messages", queue="celery") == 0  # an empty queue is no key in Redis
        assert value(found, "ve_metrics_source_up", source="task_queue") == 1
        with_broker.extensions["celery"].send_task("core.ping", kwargs={"value": "waiting"})  # no worker runs
        assert value(samples(client), "ve_task_queue_messages", queue="celery") == 1
    finally:
        redis.Redis.from_url(broker).delete("celery")


def test_metrics_answer_only_this_host_without_a_token(client):
    r = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden"
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_with_a_token_answer_that_token_only(app_config):
    from vehicle_enforce import create_app

    guarded = create_app({**app_config, "METRICS_TOKEN": "s3cret-token"}).test_client()
    assert guarded.get("/metrics").status_code == 401  # loopback is not enough once a token is set
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = guarded.get(
        "/metrics", headers={"Authorization": "Bearer s3cret-token"}, environ_base={"REMOTE_ADDR": "10.9.9.9"}
    )
    assert r.status_code == 200
    assert any(f.name == "ve_http_requests" for f in text_string_to_metric_families(r.get_data(as_text=True)))


# -- Readiness ----------------------------------------------------------------------------------------


def test_readyz_answers_ready_on_a_migrated_database(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.get_json() == {
        "status": "ready",
        "failed": [],
        "checks": {"database": "ok", "migrations": "ok", "broker": "not_configured"},
    }


def test_readyz_answers_503_when_the_database_is_down(tmp_path):
    from vehicle_enforce import create_app

    down = create_app(
        {
            "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/vehicle_enforce",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    r = down.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.get_json() == {
        "status": "not_ready",
        "failed": ["database"],
        "checks": {"database": "unreachable", "migrations": "unknown", "broker": "not_configured"},
    }


def test_readyz_answers_503_before_the_migrations_ran(tmp_path):
    from vehicle_enforce import create_app

    fresh = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "INSTANCE_PATH": str(tmp_path / "i")}
    )
    r = fresh.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["failed"] == ["migrations"] and r.get_json()["checks"]["migrations"] == "not_at_head"


def test_readyz_answers_503_when_the_configured_broker_is_unreachable(app_config):
    from vehicle_enforce import create_app

    broken = create_app({**app_config, "BROKER_URL": f"redis://127.0.0.1:{closed_port()}/0"})
    r = broken.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.get_json()["failed"] == ["broker"]
    assert r.get_json()["checks"] == {"database": "ok", "migrations": "ok", "broker": "unreachable"}
