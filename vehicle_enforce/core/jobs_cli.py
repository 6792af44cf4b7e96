"""`vehicle-enforce worker` (the embedded queue's consumer) and `vehicle-enforce jobs` (what is pending)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from vehicle_enforce.core import jobs, tasks
from vehicle_enforce.core.jobs import STATUS_ZH
from vehicle_enforce.core.timeutil import format_local


@click.command("worker")
@click.option("--workers", default=2, show_default=True, type=int, help="Threads running jobs.")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop (no schedule).")
@with_appcontext
def worker(workers: int, burst: bool) -> None:
    """Run background jobs from the embedded queue (huey, SQLite storage); `serve` starts one."""
    # current_app is a LocalProxy, which Flask types as the app itself.
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # see above
    if app.extensions.get("celery") is not None:
        raise click.ClickException(
            "VE_BROKER_URL is set: run `celery -A vehicle_enforce.celery_app:celery worker --beat` instead"
        )
    requeued = tasks.sweep()  # jobs left behind by a worker that died are stale by now or soon
    if requeued:
        click.echo(f"queued again {len(requeued)} job(s) left pending: {requeued}")
    if burst:
        click.echo(f"ran {tasks.work_off(app)} job(s)")
        return
    huey = app.extensions["huey"]
    click.echo(f"worker: {workers} thread(s) on {tasks.queue_path(app)}")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True)
    consumer.run()


@click.command("jobs")
@click.option("--all", "show_all", is_flag=True, help="Also list finished jobs (kept 7 days).")
@click.option("--retry", "retry_id", type=int, default=None, help="Queue a failed job again.")
@with_appcontext
def jobs_command(show_all: bool, retry_id: int | None) -> None:
    """List running, queued and failed background jobs with their progress (rows done / total)."""
    if retry_id is not None:
        job = tasks.retry(retry_id)
        if job is None:
            raise click.ClickException(f"任务 {retry_id} 不存在")
        click.echo(f"任务 {job.id}：{STATUS_ZH.get(job.status, job.status)}")
        return
    rows = jobs.unfinished(include_done=show_all)
    if not rows:
        click.echo("没有未完成的后台任务")
        return
    click.echo("编号\t状态\t任务\t进度\t尝试次数\t最近更新（北京时间）\t错误")
    for job in rows:
        share = f"{job.done}/{job.total}" if job.total is not None else str(job.done)
        click.echo(
            f"{job.id}\t{STATUS_ZH.get(job.status, job.status)}\t{job.name}\t{share}\t{job.attempts}\t"
            f"{format_local(job.updated_at)}\t{job.error or ''}"
        )


def start_embedded_worker(threads: int = 2) -> subprocess.Popen[Any] | None:
    """Start `vehicle-enforce worker` beside the web server when no Celery broker is configured."""
    if os.environ.get("VE_BROKER_URL"):
        return None
    return subprocess.Popen([sys.executable, "-m", "vehicle_enforce", "worker", "--workers", str(threads)])
