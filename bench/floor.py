"""What one step of the stack costs on this machine, each alone: the floor under bench/bookings.py's figures.

    .venv/bin/python bench/floor.py

- a raw `SELECT 1` through Django's cursor, and one ORM query (a user by
  primary key), in this process: CPU from time.process_time();
- `GET /api/health/` (no authentication, no query) and `GET /api/auth/me/`
  (JWT, the user row, DRF) under gunicorn (deploy/gunicorn.conf.py, one
  process), sequential keep-alive requests: the gunicorn worker's CPU from /proc;
- a Celery task that does nothing (bench/noop_task.py), queued 1,000 times,
  then drained by a worker of concurrency 2 (prefork, as the Procfile's):
  its CPU, main process and children, from /proc.

On bench/bookings.py's database and a redis-server of its own; a minute.
"""

import http.client
import os
import sys
import time

from bookings import DATABASE_URL, seed, tokens
from stack import (
    ROOT,
    cpu_seconds,
    free_port,
    get,
    process_tree,
    start_booking_environment,
    start_gunicorn,
    start_worker,
    stop,
    wait_until,
)

REQUESTS, TASKS = 300, 1_000


def in_process_ms(function, count: int = 2_000) -> float:
    for _ in range(50):
        function()
    started = time.process_time()
    for _ in range(count):
        function()
    return (time.process_time() - started) / count * 1000


def web_ms(port: int, server_pid: int, path: str, token: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}

    def ask():
        status = get(connection, path, headers)
        assert status == 200, (path, status)

    for _ in range(20):
        ask()
    workers = [pid for pid in process_tree(server_pid) if pid != server_pid]
    before = cpu_seconds(workers)
    for _ in range(REQUESTS):
        ask()
    return (cpu_seconds(workers) - before) / REQUESTS * 1000


def noop_task_ms() -> float:
    from noop_task import noop

    for _ in range(TASKS):
        noop.apply_async(queue="bookings")
    log = ROOT / "var" / "floor-worker.log"
    log.parent.mkdir(exist_ok=True)
    worker = start_worker(log, queues="bookings", include="bench.noop_task")
    try:
        pids = process_tree(worker.pid)
        before = cpu_seconds(pids)
        wait_until(lambda: log.read_text().count("succeeded in") >= TASKS, "the queue drained", 300)
        return (cpu_seconds(pids) - before) / TASKS * 1000
    finally:
        stop(worker)


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    _, redis_server = start_booking_environment(f"{DATABASE_URL}_1000")
    server = None
    try:
        import django

        django.setup()
        from django.db import connection

        from domain.users.models import User

        seed(1_000)
        token = tokens(1)[0]
        user_id = User.objects.get(username="bench-0").pk
        cursor = connection.cursor()
        rows = [
            (
                "raw SELECT 1 (Django's cursor, psycopg 3), in-process",
                in_process_ms(lambda: cursor.execute("SELECT 1")),
            ),
            ("one ORM query (User.objects.get), in-process", in_process_ms(lambda: User.objects.get(pk=user_id))),
        ]
        port = free_port()
        server = start_gunicorn(port, workers=1)
        rows += [
            ("GET /api/health/ under gunicorn", web_ms(port, server.pid, "/api/health/", token)),
            ("GET /api/auth/me/ under gunicorn", web_ms(port, server.pid, "/api/auth/me/", token)),
            ("a Celery task that does nothing (prefork, concurrency 2)", noop_task_ms()),
        ]
        print("\n| step | CPU, ms |\n|---|---|")
        for step, ms in rows:
            print(f"| {step} | {ms:.2f} |")
    finally:
        stop(server)
        stop(redis_server)


if __name__ == "__main__":
    main()
