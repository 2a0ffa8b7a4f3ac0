"""Real Celery workers for tests: Celery's in-process worker, and worker processes.

Celery's pytest plugin (loaded in pytest.ini) starts a worker thread on the
`celery_app` fixture; the fixtures below point it at the project's app and its
queues, on the real Redis broker. Worker *processes* are for what a thread
cannot show: parallel execution across processes, and a worker killed with
SIGKILL.
"""

import os
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.signals import task_postrun
from django.db import connection
from kombu import Exchange, Queue

from config.celery import app
from config.queues import WORKER_QUEUES
from tests.support.waiting import wait_until

QUEUES = list(WORKER_QUEUES)
REPO = Path(__file__).resolve().parents[2]


def purge_queues() -> None:
    """Drop every message earlier tests left: queued without a worker to run
    them, or unacknowledged by a worker a test killed (which the broker would
    hand to the next worker once their visibility timeout is over). The test
    broker has its Redis database to itself; on RabbitMQ, where a dead
    consumer's messages are requeued at once, emptying the queues is enough."""
    with app.connection_for_write() as conn:
        if conn.transport.driver_type == "redis":
            conn.default_channel.client.flushdb()
            return
        for name in QUEUES:  # declared as Celery declares them, so that a first run finds them
            Queue(name, Exchange(name), routing_key=name, channel=conn.default_channel).declare()
            conn.default_channel.queue_purge(name)


@task_postrun.connect
def _close_the_worker_threads_connection(**_) -> None:
    # The in-process worker runs tasks in a thread of the test process: the
    # connection it opened there would outlive the test and keep the test
    # database from being dropped at the end of the run.
    if threading.current_thread() is not threading.main_thread():
        connection.close()


@pytest.fixture
def celery_app():
    purge_queues()
    return app


@pytest.fixture(scope="session")
def celery_worker_parameters():
    # No ping check: it needs a result backend, and clients poll operations instead.
    return {"queues": QUEUES, "perform_ping_check": False}


def use_broker(url: str) -> None:
    """Point this process's Celery app at another broker."""
    app.conf.broker_url = url
    # Connections are pooled: drop them, so the next publish connects anew.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str):
    """Point this process's Celery app at another broker while the block runs, then back at the one it had."""
    previous = app.conf.broker_url
    use_broker(url)
    try:
        yield
    finally:
        use_broker(previous)


def current_database_url() -> str:
    """The URL of the database this test runs on, for processes started by the test."""
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


class CeleryProcess:
    """A `celery` process (worker or beat) on the test database; its output goes to a file."""

    # What its log says once it is up.
    ready_line: str

    def __init__(self, name: str, log_dir: Path, arguments: list[str], extra_env: dict | None = None):
        self.log_path = log_dir / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DATABASE_URL": current_database_url(),
            **(extra_env or {}),
        }
        command = [sys.executable, "-m", "celery", "-A", "config", *arguments, "-l", "info"]
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.ready_line in self.log_path.read_text():
                return True
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.log_path.stem} did not start:\n{self.log_path.read_text()}")
            return False

        wait_until(ready, timeout, f"{self.log_path.stem} to start", interval=0.2, report=self.log_path.read_text)

    def kill(self) -> None:
        """SIGKILL the process and its children: nothing gets to clean up or acknowledge."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


class WorkerProcess(CeleryProcess):
    """A `celery worker` consuming every queue."""

    ready_line = "ready."

    def __init__(self, name: str, log_dir: Path, concurrency: int = 2, extra_env: dict | None = None):
        arguments = [
            "worker",
            "-Q",
            ",".join(QUEUES),
            "-c",
            str(concurrency),
            "-P",
            "prefork",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        super().__init__(name, log_dir, arguments, extra_env)


class BeatProcess(CeleryProcess):
    """`celery beat` with the project's schedule, as the Procfile runs it."""

    ready_line = "beat: Starting"

    def __init__(self, name: str, log_dir: Path, extra_env: dict | None = None):
        super().__init__(name, log_dir, ["beat", "-s", str(log_dir / f"{name}-schedule")], extra_env)


@pytest.fixture
def start_worker_process(tmp_path):
    """Start `celery worker` processes; all are stopped when the test ends."""
    purge_queues()
    started = []

    def start(name: str, concurrency: int = 2, extra_env: dict | None = None) -> WorkerProcess:
        worker = WorkerProcess(name, tmp_path, concurrency, extra_env)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def start_beat_process(tmp_path):
    """Start a `celery beat` process; it is stopped when the test ends."""
    started = []

    def start(extra_env: dict | None = None) -> BeatProcess:
        beat = BeatProcess("beat", tmp_path, extra_env)
        started.append(beat)
        beat.wait_ready()
        return beat

    yield start
    for beat in started:
        beat.stop()
