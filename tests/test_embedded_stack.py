"""The embedded default, as `make run` starts it on a machine with nothing configured.

No DATABASE_URL, REDIS_URL or CELERY_BROKER_URL: SQLite, the file cache and
Kombu's filesystem broker under a fresh VAR_DIR. The web, worker and beat lines
of the Procfile run as real processes, and the readiness endpoint must answer
200 through gunicorn.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60
STOP_SECONDS = 10
PROCESSES = ("web", "worker", "beat")
# What each process logs once it is serving.
READY_LINES = {"worker": " ready.", "beat": "beat: Starting..."}
UNSET = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "PORT")


def procfile_commands() -> dict[str, str]:
    lines = (REPO_ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_environment(var_dir: Path, port: int) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in UNSET}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(var_dir),
        PORT=str(port),
        # As `make run` sets it: a development machine, no webhook secrets.
        DEBUG="true",
        WEB_CONCURRENCY="1",
        CELERY_WORKER_CONCURRENCY="1",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    return environment


def get_ready(port: int) -> tuple[int, dict] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/ready/", timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except (OSError, ValueError):
        return None


def stop(process: subprocess.Popen) -> None:
    # SIGTERM to the leader (gunicorn's master, celery's main process) lets it
    # stop its own children; SIGKILL to its session group then ends whatever
    # is left, leader included if it did not stop in time.
    process.terminate()
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(STOP_SECONDS)


def test_web_worker_and_beat_run_with_nothing_configured(tmp_path):
    var_dir = tmp_path / "var"
    logs = {name: tmp_path / f"{name}.log" for name in ("migrate", *PROCESSES)}
    port = free_port()
    environment = embedded_environment(var_dir, port)

    def report() -> str:
        return "\n".join(
            f"----- {name} -----\n{path.read_text(errors='replace')[-4000:]}" for name, path in logs.items() if path.exists()
        )

    with open(logs["migrate"], "w") as log:
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, timeout=120,
        )
    assert migrate.returncode == 0, report()

    commands = procfile_commands()
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name in PROCESSES:
            with open(logs[name], "w") as log:
                processes[name] = subprocess.Popen(
                    ["bash", "-c", f"exec {commands[name]}"],
                    cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

        deadline = time.monotonic() + STARTUP_SECONDS
        ready = None
        while time.monotonic() < deadline:
            exited = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
            if exited:
                pytest.fail(f"exited early: {exited}\n{report()}")
            ready = get_ready(port)
            started = all(line in logs[name].read_text(errors="replace") for name, line in READY_LINES.items())
            if ready and ready[0] == 200 and started:
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"not ready within {STARTUP_SECONDS} s (last readiness answer: {ready})\n{report()}")

        assert ready == (200, {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}})
        assert (var_dir / "db.sqlite3").exists()
        assert all(p.poll() is None for p in processes.values()), report()
    finally:
        for process in processes.values():
            stop(process)
