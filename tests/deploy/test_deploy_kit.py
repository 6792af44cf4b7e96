"""The deployment kit in deploy/ as shipped: `nginx -t` accepts the site, `systemd-analyze verify`
accepts the units, and the values the pieces share agree (body limit, proxies, paths, settings).

nginx and systemd come from Debian (scripts/ensure-browser.sh, run by `make test`); without them these
tests are skipped with a message, and fail in CI (CI=true).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO_ROOT
from vehicle_enforce import config

DEPLOY = REPO_ROOT / "deploy"
SITE = DEPLOY / "nginx" / "vehicle-enforce.conf"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
ENV_FILE = DEPLOY / "vehicle-enforce.env"
PREFIX = "/opt/vehicle-enforce/.venv"  # where the units expect the virtual environment


def tool(name: str) -> str:
    found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None)
    if found is None:
        message = f"{name} is not installed (Debian package; scripts/ensure-browser.sh installs it as root)"
        if IN_CI:
            pytest.fail(f"{message}; CI requires it", pytrace=False)
        pytest.skip(f"{message}; skipping (set CI=true to make this a failure)")
    return found


def env_settings() -> dict[str, str]:
    out = {}
    for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def nginx_setup(tmp_path: Path, site: str) -> tuple[str, Path, Path]:
    """The site with a throwaway certificate, inside the http block Debian's nginx.conf would give it, with
    this test's own writable paths; returns (nginx binary, its main config, the certificate)."""
    nginx = tool("nginx")
    key, cert = tmp_path / "privkey.pem", tmp_path / "fullchain.pem"
    openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subject = ["-subj", "/CN=enforce.example.gov.cn", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run([*openssl, *subject, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    assert "/etc/ssl/vehicle-enforce/fullchain.pem" in site and "/etc/ssl/vehicle-enforce/privkey.pem" in site
    site = site.replace("/etc/ssl/vehicle-enforce/fullchain.pem", str(cert)).replace(
        "/etc/ssl/vehicle-enforce/privkey.pem", str(key)
    )
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = "\n".join(
        f"    {kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers write the temp paths of this test
    (tmp_path / "nginx.conf").write_text(
        f"{user}pid {tmp_path / 'nginx.pid'};\nerror_log stderr;\nevents {{}}\nhttp {{\n{temp}\n"
        f"    access_log off;\n    include {tmp_path / 'site.conf'};\n}}\n",
        encoding="utf-8",
    )
    return nginx, tmp_path / "nginx.conf", cert


def test_nginx_accepts_the_site(tmp_path):
    nginx, conf, _cert = nginx_setup(tmp_path, SITE.read_text(encoding="utf-8"))
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", "stderr", "-c", str(conf)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[emerg]" not in result.stderr and "[error]" not in result.stderr


@pytest.mark.slow
def test_nginx_in_front_of_serve_behaves_as_the_kit_says(tmp_path):
    """The site on free ports in front of `vehicle-enforce serve` with the env file's VE_PROXY_COUNT=1:
    HTTP goes to HTTPS, the app sees HTTPS (HSTS, Secure cookies) and the client's request id, a body
    over the limit gets 413 from nginx in the app's error shape, /metrics is refused from outside."""
    import requests

    from tests.core.test_processes import _cli, _env, free_port, wait_http

    app_port, http_port, https_port = free_port(), free_port(), free_port()
    site = SITE.read_text(encoding="utf-8")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};").replace("listen [::]:80;", "")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("listen [::]:443 ssl http2;", "")
    nginx, conf, cert = nginx_setup(tmp_path, site)
    env = _env(tmp_path, VE_PROXY_COUNT=env_settings()["VE_PROXY_COUNT"])
    subprocess.run(_cli("db", "upgrade"), env=env, check=True, capture_output=True)
    app = subprocess.Popen(
        _cli("serve", "--port", str(app_port), "--workers", "1", "--no-job-worker"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proxy = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-e", "stderr", "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    https = f"https://127.0.0.1:{https_port}"
    try:
        wait_http(f"http://127.0.0.1:{app_port}/healthz", app, timeout=60)
        for _ in range(100):  # nginx starts in well under a second
            try:
                r = requests.get(f"http://127.0.0.1:{http_port}/healthz", allow_redirects=False, timeout=10)
                break
            except requests.ConnectionError:
                assert proxy.poll() is None, proxy.stderr.read() if proxy.stderr else ""
                time.sleep(0.1)
        assert r.status_code == 301 and r.headers["Location"] == "https://127.0.0.1/healthz"
        r = requests.get(f"{https}/healthz", headers={"X-Request-ID": "req-nginx-1"}, verify=str(cert), timeout=10)
        assert r.status_code == 200 and r.headers["X-Request-ID"] == "req-nginx-1"
        assert r.headers["Strict-Transport-Security"]  # the app saw X-Forwarded-Proto: https from its one proxy
        r = requests.get(f"{https}/healthz", verify=str(cert), timeout=10)
        assert len(r.headers["X-Request-ID"]) == 32  # none offered: nginx's $request_id went through
        too_big = b"x" * (config.DEFAULTS["MAX_CONTENT_LENGTH"] + 1)
        r = requests.post(f"{https}/api/v1/remote-sensing/passes", data=too_big, verify=str(cert), timeout=60)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        assert requests.get(f"{https}/metrics", verify=str(cert), timeout=10).status_code == 403
    finally:
        proxy.terminate()
        app.terminate()
        proxy.wait(timeout=30)
        app.wait(timeout=40)


def test_systemd_accepts_the_units(tmp_path):
    analyze = tool("systemd-analyze")
    venv = Path(sys.prefix)
    assert (venv / "bin" / "vehicle-enforce").exists() and (venv / "bin" / "celery").exists()
    assert {u.name for u in UNITS} == {
        "vehicle-enforce-web.service",
        "vehicle-enforce-worker.service",
        "vehicle-enforce-beat.service",
        "vehicle-enforce-maintenance.service",
    }
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        assert f"ExecStart={PREFIX}/bin/" in text
        # The programs named must exist for verify: this checkout's environment stands in for /opt's.
        (tmp_path / unit.name).write_text(text.replace(PREFIX, str(venv)), encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)], capture_output=True, text=True
    )
    # verify exits 0 even for an unknown key or a bad value: anything it says about the units is a failure.
    said = [line for line in (result.stdout + result.stderr).splitlines() if "vehicle-enforce" in line]
    assert result.returncode == 0 and not said, result.stdout + result.stderr


def test_units_run_the_shipped_commands_with_the_shared_settings():
    web, worker, beat = (DEPLOY / "systemd" / f"vehicle-enforce-{n}.service" for n in ("web", "worker", "beat"))
    for unit in (web, worker, beat):
        assert "EnvironmentFile=/etc/vehicle-enforce/vehicle-enforce.env" in unit.read_text(encoding="utf-8")
    web_text = web.read_text(encoding="utf-8")
    assert "vehicle-enforce serve --no-job-worker --host 127.0.0.1 --port 8000" in web_text
    assert "celery -A vehicle_enforce.celery_app:celery worker" in worker.read_text(encoding="utf-8")
    assert "celery -A vehicle_enforce.celery_app:celery beat" in beat.read_text(encoding="utf-8")
    # Only the maintenance worker (queue "maintenance": partitions, retention) reads the maintenance role's URL.
    maintenance = (DEPLOY / "systemd" / "vehicle-enforce-maintenance.service").read_text(encoding="utf-8")
    assert "worker --queues maintenance" in maintenance
    assert "EnvironmentFile=/etc/vehicle-enforce/maintenance.env" in maintenance
    for unit in (web, worker, beat):
        assert "maintenance.env" not in unit.read_text(encoding="utf-8")
    # gunicorn and the Celery worker add their counts up in one directory for /metrics
    metrics_dir = "Environment=PROMETHEUS_MULTIPROC_DIR=/run/vehicle-enforce/metrics"
    assert metrics_dir in web_text and metrics_dir in worker.read_text(encoding="utf-8")
    assert "proxy_pass http://vehicle_enforce;" in SITE.read_text(encoding="utf-8")
    assert re.search(r"server 127\.0\.0\.1:8000;", SITE.read_text(encoding="utf-8"))


def test_nginx_body_limit_is_the_apps():
    match = re.search(r"^\s*client_max_body_size\s+(\d+)([kKmMgG]?);", SITE.read_text(encoding="utf-8"), re.M)
    assert match, "the site sets client_max_body_size"
    nginx_bytes = int(match.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    app_bytes = int(env_settings().get("VE_MAX_CONTENT_LENGTH", config.DEFAULTS["MAX_CONTENT_LENGTH"]))
    assert nginx_bytes == app_bytes == config.DEFAULTS["MAX_CONTENT_LENGTH"]
    # nginx's own 413 comes in the app's error shape
    assert '"code": "payload_too_large"' in SITE.read_text(encoding="utf-8")


def test_one_proxy_adds_the_forwarded_headers_and_proxy_count_says_one():
    site = SITE.read_text(encoding="utf-8")
    for header in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme", "X-Forwarded-Host $host"):
        assert f"proxy_set_header {header};" in site
    assert env_settings()["VE_PROXY_COUNT"] == "1"
    assert "location = /metrics" in site  # not served to the outside


def test_env_file_sets_only_real_settings_for_production():
    settings = env_settings()
    assert settings["VE_ENV"] == "production" and settings["VE_LOG_FORMAT"] == "json"
    assert settings["VE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert settings["VE_BROKER_URL"].startswith("redis://")
    unknown = [key for key in settings if not key.startswith("VE_") or key[3:] not in config.DEFAULTS]
    assert not unknown
