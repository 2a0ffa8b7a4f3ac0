"""Benchmark of a booking end to end: POST, the task, the status URL, on the real stack.

    .venv/bin/python bench/bookings.py [--clients 40] [--per-client 5] [--categories 1000 20000]

For each catalog size (20,000 properties; 1,000 and 20,000 categories, each
in a database of its own, BENCH_DATABASE_URL with the size appended), it
starts a redis-server of its own, gunicorn (deploy/gunicorn.conf.py, 2
processes) and one Celery worker of concurrency 2, then:

1. sequential medians, one client, warm: GET /api/health/, GET /api/auth/me/,
   POST /api/bookings/create/, GET of a final operation, and the task's wall
   time (the worker's `succeeded in`);
2. N clients at once, each booking its own properties and following the
   status URL as a frontend does (long-poll, `Prefer: wait=20`): bookings/s
   from the first POST to the last final answer, POST-to-final p50/p99, how
   long after the worker's commit the client had the answer (p50/p95), and the
   CPU per booking of web, worker, PostgreSQL (the backends of the bench
   database) and Redis, read from /proc.

Figures, not asserts; bench/README.md keeps the last run's table.
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from catalog_database import free_every_property
from stack import (
    ROOT,
    Sampler,
    configure_environment,
    cpu_seconds,
    database_backends,
    free_port,
    percentile,
    process_tree,
    start_booking_environment,
    start_gunicorn,
    start_worker,
    stop,
)

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/luxestate_bench_bookings")
PROPERTIES, DEPTH = 20_000, 6
SEQUENTIAL = 200
LONG_POLL = {"Prefer": "wait=20"}


def seed(categories: int) -> None:
    """The catalog, and every property free again (bookings of an earlier run removed)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", categories=categories, depth=DEPTH, properties=PROPERTIES)
    free_every_property()


def tokens(count: int) -> list[str]:
    """Access tokens of `count` bench users, made here with the server's SECRET_KEY."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from domain.users.models import User

    users = [
        User.objects.get_or_create(username=f"bench-{n}", defaults={"email": f"bench-{n}@example.com"})[0]
        for n in range(count)
    ]
    return [str(RefreshToken.for_user(user).access_token) for user in users]


def free_property_ids(count: int) -> list[int]:
    from domain.properties.models import Property

    return list(
        Property.objects.filter(is_available=True, status="ACTIVE").order_by("?").values_list("id", flat=True)[:count]
    )


class Client:
    """One frontend: a keep-alive connection and a user's token."""

    def __init__(self, port: int, token: str):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.auth = {"Authorization": f"Bearer {token}"}
        # Long-polls of a pending operation the server answered at once (past its waiter cap).
        self.not_held = 0

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {**self.auth, **(headers or {}), **({"Content-Type": "application/json"} if payload else {})}
        self.connection.request(method, path, body=payload, headers=all_headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read() or b"null"), response

    def follow(self, operation: dict) -> dict:
        """Long-poll the operation's status URL until it is final; where the server did not hold the
        request (its waiters are capped), wait Retry-After first, as a frontend does."""
        path = "/api/operations/" + operation["id"] + "/"
        while operation["status"] not in ("SUCCEEDED", "FAILED"):
            _, operation, response = self.request("GET", path, headers=LONG_POLL)
            if response.getheader("Preference-Applied") is None and operation["status"] not in ("SUCCEEDED", "FAILED"):
                self.not_held += 1
                time.sleep(int(response.getheader("Retry-After", "1")))
        return operation

    def book(self, property_id: int) -> dict:
        """POST a booking and follow its status URL; returns the final operation and the times."""
        started = time.perf_counter()
        status, operation, _ = self.request("POST", "/api/bookings/create/", {"property_id": property_id})
        assert status == 202, (status, operation)
        operation = self.follow(operation)
        received = time.time()
        return {"operation": operation, "took": time.perf_counter() - started, "received": received}


def timed_ms(function, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def sequential(port: int, token: str, worker_log: Path) -> dict:
    client = Client(port, token)
    property_ids = free_property_ids(SEQUENTIAL + 20)
    for property_id in property_ids[:20]:  # warm-up
        client.book(property_id)
    open(worker_log, "w").close()
    posts, finals = [], []
    for property_id in property_ids[20:]:
        started = time.perf_counter()
        status, operation, _ = client.request("POST", "/api/bookings/create/", {"property_id": property_id})
        posts.append((time.perf_counter() - started) * 1000)
        client.follow(operation)
        finals.append("/api/operations/" + operation["id"] + "/")
    task_runs = [
        float(seconds) * 1000
        for seconds in re.findall(r"run_operation\[[^\]]+\] succeeded in ([0-9.]+)s", worker_log.read_text())
    ]
    return {
        "GET /api/health/": statistics.median(timed_ms(lambda: client.request("GET", "/api/health/"), SEQUENTIAL)),
        "GET /api/auth/me/": statistics.median(timed_ms(lambda: client.request("GET", "/api/auth/me/"), SEQUENTIAL)),
        "POST /api/bookings/create/ (202)": statistics.median(posts),
        "GET /api/operations/<id>/ (final)": statistics.median(
            timed_ms(lambda: client.request("GET", finals[0]), SEQUENTIAL)
        ),
        "run_operation task, wall (worker log)": statistics.median(task_runs) if task_runs else float("nan"),
    }


def under_load(port: int, clients_tokens: list[str], per_client: int, processes: dict, profile: dict | None) -> dict:
    property_ids = free_property_ids(len(clients_tokens) * per_client)
    shares = [property_ids[n :: len(clients_tokens)] for n in range(len(clients_tokens))]
    results: list[dict] = []
    not_held = []
    lock = threading.Lock()
    start = threading.Barrier(len(clients_tokens) + 1)

    def run(token, share):
        client = Client(port, token)
        start.wait()
        for property_id in share:
            outcome = client.book(property_id)
            with lock:
                results.append(outcome)
        not_held.append(client.not_held)

    threads = [
        threading.Thread(target=run, args=(token, share)) for token, share in zip(clients_tokens, shares, strict=True)
    ]
    for thread in threads:
        thread.start()
    pids = {name: pids_of() for name, pids_of in processes.items()}
    cpu_before = {name: cpu_seconds(pids[name]) for name in pids}
    samplers = {name: Sampler(pids[name][1:], Path(tempfile.mkdtemp())) for name in profile or ()}
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    for name, sampler in samplers.items():
        sampler.stop()
        profile[name] = sampler.top()
    pids = {name: pids_of() for name, pids_of in processes.items()}
    cpu = {name: (cpu_seconds(pids[name]) - cpu_before[name]) * 1000 / len(results) for name in pids}
    succeeded = [r for r in results if r["operation"]["status"] == "SUCCEEDED"]
    lags = [
        (r["received"] - datetime.fromisoformat(r["operation"]["updated_at"]).timestamp()) * 1000 for r in succeeded
    ]
    took = [r["took"] * 1000 for r in results]
    return {
        "bookings": len(results),
        "succeeded": len(succeeded),
        "per_second": len(results) / wall,
        "p50": statistics.median(took),
        "p99": percentile(took, 0.99),
        "lag_p50": statistics.median(lags),
        "lag_p95": percentile(lags, 0.95),
        "cpu": cpu,
        "not_held": sum(not_held),
    }


def run_catalog(categories: int, clients: int, per_client: int, profile: bool = False) -> dict:
    database_url = f"{DATABASE_URL}_{categories}"
    _, redis_server = start_booking_environment(database_url)
    gunicorn = worker = None
    try:
        import django

        django.setup()
        from django.db import connections

        seed(categories)
        all_tokens = tokens(clients + 1)
        connections.close_all()
        port = free_port()
        gunicorn = start_gunicorn(port)
        worker_log = Path(tempfile.mkdtemp()) / "worker.log"
        worker = start_worker(worker_log)
        processes = {
            "web": lambda: process_tree(gunicorn.pid),
            "worker": lambda: process_tree(worker.pid),
            "PostgreSQL": lambda: database_backends(database_url),
            "Redis": lambda: [redis_server.pid] if redis_server else [],
        }
        medians = sequential(port, all_tokens[-1], worker_log)
        profiles = {"web": None, "worker": None} if profile else None
        load = under_load(port, all_tokens[:clients], per_client, processes, profiles)
        return {"categories": categories, "medians": medians, "load": load, "profiles": profiles}
    finally:
        stop(worker)
        stop(gunicorn)
        stop(redis_server)


def print_tables(runs: list[dict], clients: int, per_client: int) -> None:
    from django.conf import settings

    from config.web import WEB_THREADS

    print(
        f"\n{PROPERTIES} properties; gunicorn 2 processes x {WEB_THREADS} threads "
        f"(long-poll cap {settings.LONG_POLL_MAX_WAITERS} per process), 1 Celery worker of concurrency 2, "
        f"PostgreSQL + Redis on 127.0.0.1; times in ms.\n"
    )
    print("Sequential medians, one client, warm:\n")
    print("| request | " + " | ".join(f"{run['categories']} categories" for run in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for name in runs[0]["medians"]:
        print(f"| {name} | " + " | ".join(f"{run['medians'][name]:.1f}" for run in runs) + " |")
    print(f"\n{clients} clients x {per_client} bookings each, long-polling the status URL:\n")
    print(
        "| categories | bookings/s | POST to final p50 / p99 | answer after commit p50 / p95 | long-polls not held "
        "| CPU per booking: web / worker / PostgreSQL / Redis | total CPU |"
    )
    print("|---|---|---|---|---|---|---|")
    for run in runs:
        load, cpu = run["load"], run["load"]["cpu"]
        print(
            f"| {run['categories']} | {load['per_second']:.0f} ({load['succeeded']}/{load['bookings']} ok) "
            f"| {load['p50']:.0f} / {load['p99']:.0f} | {load['lag_p50']:.0f} / {load['lag_p95']:.0f} "
            f"| {load['not_held']} "
            f"| {cpu['web']:.1f} / {cpu['worker']:.1f} / {cpu['PostgreSQL']:.1f} / {cpu['Redis']:.1f} "
            f"| {sum(cpu.values()):.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--per-client", type=int, default=5)
    parser.add_argument("--categories", type=int, nargs="+", default=[1_000, 20_000])
    parser.add_argument("--json", action="store_true", help="print the one run as JSON, for the parent run")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the web and worker processes with py-spy under load and print the top (one size)",
    )
    options = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    # Each catalog size in a process of its own: Django is set up once per process.
    if len(options.categories) > 1:
        runs = []
        for categories in options.categories:
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--clients",
                    str(options.clients),
                    "--per-client",
                    str(options.per_client),
                    "--categories",
                    str(categories),
                    "--json",
                ],
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            )
            runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    else:
        runs = [run_catalog(options.categories[0], options.clients, options.per_client, options.profile)]
        if options.json:
            print(json.dumps(runs[0]))
            return
    configure_environment(database_url=DATABASE_URL, redis_url="redis://127.0.0.1:6379/0")
    import django

    django.setup()
    print_tables(runs, options.clients, options.per_client)
    for name, (own, inclusive) in (runs[0].get("profiles") or {}).items():
        print(f"\npy-spy, {name} processes under load: share of samples")
        print("| self | function | | with callees | function |\n|---|---|---|---|---|")
        for (own_name, own_share), (name_in, share_in) in zip(own, inclusive, strict=False):
            print(f"| {own_share:.1%} | {own_name} | | {share_in:.1%} | {name_in} |")


if __name__ == "__main__":
    main()
