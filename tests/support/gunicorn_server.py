"""A real gunicorn with deploy/gunicorn.conf.py on the test database, for tests (no tests here).

Requests can be sent from another local address than loopback's (the client
socket bound to 127.0.0.2, as a load balancer on another host would).
"""

import http.client
import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager

from tests.support.network import DEAD_REDIS_URL, free_port
from tests.support.waiting import wait_until
from tests.support.workers import REPO, current_database_url

LOAD_BALANCER, LOOPBACK = "127.0.0.2", "127.0.0.1"
HOST = "api.example.com"


class Gunicorn:
    def __init__(self, port: int, log_path):
        self.port = port
        self.log_path = log_path

    def request(self, method: str, path: str, source: str, headers: dict | None = None, body: bytes | None = None):
        """(status, headers, body) of one request sent from the address `source`."""
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=10, source_address=(source, 0))
        try:
            connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, source: str, headers: dict | None = None, body: dict | None = None):
        status, response_headers, content = self.request(
            method,
            path,
            source,
            {"Content-Type": "application/json", **(headers or {})},
            json.dumps(body).encode() if body is not None else None,
        )
        return status, response_headers, json.loads(content)


@contextmanager
def gunicorn(tmp_path, num_proxies: int = 0, processes: int = 1, extra_env: dict | None = None):
    """Serve the app with `processes` gunicorn worker processes; stopped when the block ends. Without a
    broker unless `extra_env` gives one: operations are recorded, and no message is left for another
    test's worker."""
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": current_database_url(),
        "TEST_BROKER_URL": DEAD_REDIS_URL,
        "NUM_PROXIES": str(num_proxies),
        "WEB_CONCURRENCY": str(processes),
        **(extra_env or {}),
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-c",
                "deploy/gunicorn.conf.py",
                "-b",
                f"{LOOPBACK}:{port}",
            ],
            cwd=REPO,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Gunicorn(port, log_path)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{log_path.read_text()}")
        try:
            return server.request("GET", "/api/health/", LOOPBACK)[0] == 200
        except OSError:
            return False

    try:
        wait_until(answers, 60, "gunicorn to answer", interval=0.2, report=log_path.read_text)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
