"""The embedded default, as `make run` starts it on a machine with nothing configured.

No DATABASE_URL, REDIS_URL or CELERY_BROKER_URL: SQLite, the file cache and
Kombu's filesystem broker under a fresh VAR_DIR. The web, worker and beat lines
of the Procfile run as real processes, and the readiness endpoint must answer
200 through gunicorn.
"""

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.clients import BOOKING_CREATE_URL
from tests.support.network import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.processes

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


def embedded_environment(var_dir: Path, port: int) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in UNSET}
    environment.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(var_dir),
        PORT=str(port),
        # As `make run` sets it: a development machine, no webhook secrets.
        DEBUG="true",
        WEB_CONCURRENCY="1",
        # Short enough for the test to see beat expire a booking.
        BOOKING_PENDING_TTL="2",
        BOOKING_EXPIRY_INTERVAL="1",
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


@pytest.fixture(scope="module")
def embedded_stack(tmp_path_factory):
    """The Procfile's web, worker and beat on a fresh VAR_DIR; yields (port, var_dir)."""
    tmp_path = tmp_path_factory.mktemp("embedded")
    var_dir = tmp_path / "var"
    logs = {name: tmp_path / f"{name}.log" for name in ("migrate", "seed", *PROCESSES)}
    port = free_port()
    environment = embedded_environment(var_dir, port)

    def report() -> str:
        return "\n".join(
            f"----- {name} -----\n{path.read_text(errors='replace')[-4000:]}"
            for name, path in logs.items()
            if path.exists()
        )

    for step, command in (("migrate", ["migrate", "--noinput"]), ("seed", ["seed_catalog"])):
        with open(logs[step], "w") as log:
            finished = subprocess.run(
                [sys.executable, "manage.py", *command],
                cwd=REPO_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
            )
        assert finished.returncode == 0, report()

    commands = procfile_commands()
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name in PROCESSES:
            with open(logs[name], "w") as log:
                processes[name] = subprocess.Popen(
                    ["bash", "-c", f"exec {commands[name]}"],
                    cwd=REPO_ROOT,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )

        def readiness() -> tuple:
            exited = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
            if exited:
                pytest.fail(f"exited early: {exited}\n{report()}")
            ready = get_ready(port)
            started = all(line in logs[name].read_text(errors="replace") for name, line in READY_LINES.items())
            return ready, started

        wait_until(
            readiness,
            STARTUP_SECONDS,
            "readiness 200 and the worker's and beat's ready lines",
            met=lambda seen: seen[0] and seen[0][0] == 200 and seen[1],
            interval=0.5,
            report=report,
        )

        yield EmbeddedStack(port, var_dir, processes, report)
    finally:
        for process in processes.values():
            stop(process)


class EmbeddedStack:
    def __init__(self, port, var_dir, processes, report):
        self.port, self.var_dir, self.processes, self.report = port, var_dir, processes, report

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            path if path.startswith("http") else f"http://127.0.0.1:{self.port}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def wait_for(self, path: str, token: str, done, what: str, timeout: float = 30) -> dict:
        status, body = wait_until(
            lambda: self.call("GET", path, token=token),
            timeout,
            what,
            met=lambda answer: answer[0] == 200 and done(answer[1]),
            interval=0.3,
            report=self.report,
        )
        return body


def test_web_worker_and_beat_run_with_nothing_configured(embedded_stack):
    assert get_ready(embedded_stack.port) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "cache": "ok", "broker": "ok"}},
    )
    assert (embedded_stack.var_dir / "db.sqlite3").exists()
    assert all(p.poll() is None for p in embedded_stack.processes.values()), embedded_stack.report()


def test_a_booking_runs_end_to_end_and_beat_expires_it(embedded_stack):
    stack = embedded_stack
    credentials = {"username": "embedded", "password": "a-long-enough-passphrase"}
    assert stack.call("POST", "/api/auth/register/", {**credentials, "email": "e@example.com"})[0] == 201
    token = stack.call("POST", "/api/auth/login/", credentials)[1]["access"]
    listed = stack.call("GET", "/api/properties/?is_available=true&status=ACTIVE")[1]["results"]
    assert listed, stack.report()

    status, accepted = stack.call("POST", BOOKING_CREATE_URL, {"property_id": listed[0]["id"]}, token)
    assert status == 202, accepted
    done = stack.wait_for(
        accepted["status_url"], token, lambda op: op["status"] in ("SUCCEEDED", "FAILED"), "the booking"
    )
    assert done["status"] == "SUCCEEDED", done
    booking = done["result"]
    assert (booking["property"], booking["status"]) == (listed[0]["id"], "PENDING")

    # BOOKING_PENDING_TTL is 2 s here and beat looks every second.
    stack.wait_for(f"/api/bookings/{booking['id']}/", token, lambda b: b["status"] == "EXPIRED", "the expiry")
    assert stack.call("GET", f"/api/properties/{booking['property_slug']}/")[1]["is_available"] is True
