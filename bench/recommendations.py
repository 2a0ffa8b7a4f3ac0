"""Benchmark of GET /api/properties/recommended/ over HTTP against gunicorn, idle and while bookings stream in.

    .venv/bin/python bench/recommendations.py [--stream-clients 48] [--skip-cases]

Seeds 1,000 categories over 6 levels and 100,000 properties with
`manage.py seed_catalog` in a database of its own (BENCH_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/luxestate_bench, created if
missing; an existing catalog of that size is kept). The cache is a
redis-server started here on a free port and stopped at the end, unless
BENCH_REDIS_URL names one. Then it starts gunicorn (deploy/gunicorn.conf.py,
DEBUG off) on a free local port and times, for a leaf, the largest root and
the whole catalog: misses (the key deleted before each request) and hits.
The SQL of a miss and of a hit are counted in this process through Django's
test client, since nothing can count them inside gunicorn.

Then the mixed run, with a Celery worker started too: hits at the whole
catalog (the root) and at a leaf, alternating, first idle, then while N
clients book properties through the real pipeline (POST, the worker's task
and its after-commit list updates, long-polled status URLs) as fast as they
can: p50/p99 of each, and of GET /api/health/ (no cache, no database: how
much the machine itself slows every request down), the bookings per second, the Redis bytes sent per
idle hit (INFO's total_net_output_bytes before and after hits made
in-process, so that the throttle's own cache traffic is not counted) and
the worker's CPU per booking (from /proc).
"""

import argparse
import http.client
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
from bookings import Client, free_property_ids, tokens
from catalog_database import (
    CATEGORIES,
    DATABASE_URL,
    DEPTH,
    PROPERTIES,
    free_every_property,
    seed_catalog,
)
from stack import (
    ROOT,
    cpu_seconds,
    free_port,
    get,
    p99,
    process_tree,
    start_booking_environment,
    start_gunicorn,
    start_worker,
    stop,
)

MISSES, HITS, WARMUP = 200, 1_000, 20
# Hits per case in each phase of the mixed run; bookings each streaming client may make.
MIXED_HITS, BOOKINGS_PER_CLIENT = 600, 200
WHOLE_CATALOG_SLUG = "bench-whole-catalog"
# Timed beside the hits: a request with no cache and no database, the machine's own slowdown.
HEALTH_PATH = "/api/health/"


def seed():
    """The catalog, plus one bench-only category above its roots: the whole
    catalog as one subtree, the worst case for a miss."""
    from django.db import connection

    from domain.properties.management.commands.seed_catalog import GENERATED_CATEGORY_PREFIX
    from domain.properties.models import Category
    from domain.properties.recommendations import evict_all_recommendations

    seed_catalog()
    free_every_property()
    whole, _ = Category.objects.get_or_create(slug=WHOLE_CATALOG_SLUG, defaults={"name": "Whole catalog"})
    Category.objects.filter(parent=None, slug__startswith=GENERATED_CATEGORY_PREFIX).update(parent=whole)
    # Bulk writes send no signal.
    evict_all_recommendations()
    # The tree changed since seed_catalog's ANALYZE.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE properties_category")
    return whole


def cases(whole):
    """(label, category) for a leaf, the largest seeded root, the whole catalog."""
    from domain.properties.management.commands.seed_catalog import GENERATED_CATEGORY_PREFIX
    from domain.properties.models import Category
    from domain.properties.tree import category_subtree_ids

    roots = Category.objects.filter(parent=whole)
    largest_root = max(roots, key=lambda root: len(category_subtree_ids(root.id)))
    leaf = (
        Category.objects.filter(slug__startswith=GENERATED_CATEGORY_PREFIX, children__isnull=True)
        .order_by("id")
        .first()
    )
    return [("leaf", leaf), (f"root (1 of {roots.count()})", largest_root), ("whole catalog", whole)]


def timed_requests(connection, path: str, count: int, before_each=None) -> list[float]:
    """Milliseconds of `count` requests; `before_each` runs outside the timing."""
    timings = []
    for _ in range(count):
        if before_each:
            before_each()
        started = time.perf_counter()
        status = get(connection, path)
        timings.append((time.perf_counter() - started) * 1000)
        assert status == 200, f"{path} answered {status}"
    return timings


def queries_of_miss_and_hit(path: str, forget) -> tuple[int, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    forget()
    with CaptureQueriesContext(connection) as miss:
        assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as hit:
        assert client.get(path).status_code == 200
    return len(miss), len(hit)


def redis_bytes_sent(client: redis.Redis) -> int:
    return client.info("stats")["total_net_output_bytes"]


def lists_built(client: redis.Redis) -> int:
    """How many lists were stored so far: each store renames its snapshot into the list, once."""
    return client.info("commandstats").get("cmdstat_rename", {}).get("calls", 0)


def alternating_hits(connection, paths: list[str], count: int) -> dict[str, list[float]]:
    """Milliseconds of `count` hits per path, the paths taken in turn."""
    timings = {path: [] for path in paths}
    for _ in range(count):
        for path in paths:
            timings[path] += timed_requests(connection, path, 1)
    return timings


class BookingStream:
    """`len(tokens)` clients, each booking its own free properties one after another (POST, then the
    long-polled status URL) until stopped, in a process of their own: in this one, their threads
    would take the interpreter lock from the requests being timed."""

    def __init__(self, port: int, client_tokens: list[str]):
        property_ids = free_property_ids(len(client_tokens) * BOOKINGS_PER_CLIENT)
        self.shares = [property_ids[n :: len(client_tokens)] for n in range(len(client_tokens))]
        self.port, self.client_tokens = port, client_tokens
        self.stopping, self._finals = multiprocessing.Event(), multiprocessing.Value("i", 0)

    @property
    def finals(self) -> int:
        return self._finals.value

    def _book_all(self, token: str, share: list[int]) -> None:
        client = Client(self.port, token)
        for property_id in share:
            if self.stopping.is_set():
                return
            client.book(property_id)
            with self._finals.get_lock():
                self._finals.value += 1

    def _run(self) -> None:
        threads = [
            threading.Thread(target=self._book_all, args=(token, share), daemon=True)
            for token, share in zip(self.client_tokens, self.shares, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def __enter__(self):
        from django.db import connections

        connections.close_all()  # the child must not share this process's database connection
        self.process = multiprocessing.get_context("fork").Process(target=self._run, daemon=True)
        self.process.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.process.join(60)


def redis_bytes_per_hit(redis_url: str, category_id: int, count: int = 200) -> float:
    """Bytes Redis sends for one hit's reads (the count and a page of 20), measured here in-process
    with INFO before and after `count` hits, so that no other request's traffic is counted."""
    from domain.properties.recommendations import recommended_property_ids

    server = redis.Redis.from_url(redis_url)
    recommended_property_ids(category_id)[0:20]
    before = redis_bytes_sent(server)
    for _ in range(count):
        recommended_property_ids(category_id)[0:20]
    measured = redis_bytes_sent(server) - before
    # The delta counts the first INFO's own reply: measure one alone and take it off.
    before = redis_bytes_sent(server)
    one_info = redis_bytes_sent(server) - before
    return (measured - one_info) / count


def mixed_run(port: int, whole, leaf, redis_url: str, stream_clients: int, worker) -> dict:
    """Hits at the root and a leaf, idle and while bookings stream in."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    server = redis.Redis.from_url(redis_url)
    root_path, leaf_path = (f"/api/properties/recommended/?category_id={c.id}" for c in (whole, leaf))
    paths = [root_path, leaf_path, HEALTH_PATH]
    alternating_hits(connection, paths, WARMUP)  # builds both lists
    bytes_per_hit = {
        root_path: redis_bytes_per_hit(redis_url, whole.id),
        leaf_path: redis_bytes_per_hit(redis_url, leaf.id),
    }
    idle = alternating_hits(connection, paths, MIXED_HITS)
    client_tokens = tokens(stream_clients)
    with BookingStream(port, client_tokens) as stream:
        time.sleep(3)  # until the stream runs at its pace
        worker_pids = process_tree(worker.pid)
        cpu_before, finals_before, began = cpu_seconds(worker_pids), stream.finals, time.perf_counter()
        built_before = lists_built(server)
        streaming = alternating_hits(connection, paths, MIXED_HITS)
        wall, bookings = time.perf_counter() - began, stream.finals - finals_before
        worker_cpu = cpu_seconds(worker_pids) - cpu_before
        rebuilt = lists_built(server) - built_before
    return {
        "idle": idle,
        "streaming": streaming,
        "root": root_path,
        "leaf": leaf_path,
        "bytes": bytes_per_hit,
        "bookings_per_second": bookings / wall,
        "bookings": bookings,
        "worker_cpu_ms_per_booking": worker_cpu * 1000 / max(bookings, 1),
        "rebuilt": rebuilt,
        "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream-clients", type=int, default=48)
    parser.add_argument("--skip-cases", action="store_true", help="only the mixed run")
    options = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    redis_url, redis_server = start_booking_environment(DATABASE_URL)
    gunicorn = worker = None
    try:
        import django

        django.setup()
        from django.db import connections

        from domain.properties.recommendation_lists import drop_lists
        from domain.properties.recommendations import recommended_property_ids
        from domain.properties.tree import category_subtree_ids

        whole = seed()
        port = free_port()
        gunicorn = start_gunicorn(port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rows = []
        for label, category in [] if options.skip_cases else cases(whole):
            path = f"/api/properties/recommended/?category_id={category.id}"

            def forget(category_id=category.id):
                drop_lists([category_id])

            timed_requests(connection, path, WARMUP, forget)
            misses = timed_requests(connection, path, MISSES, forget)
            hits = timed_requests(connection, path, HITS)
            sql_miss, sql_hit = queries_of_miss_and_hit(path, forget)
            rows.append(
                (
                    label,
                    len(category_subtree_ids(category.id)),
                    len(recommended_property_ids(category.id)),
                    statistics.median(misses),
                    p99(misses),
                    statistics.median(hits),
                    p99(hits),
                    sql_miss,
                    sql_hit,
                )
            )
        if rows:
            print_table(rows)
        connections.close_all()
        worker = start_worker(Path(tempfile.mkdtemp()) / "worker.log")
        leaf = cases(whole)[0][1]
        mixed = mixed_run(port, whole, leaf, redis_url, options.stream_clients, worker)
        print_mixed(mixed, whole, leaf, options.stream_clients)
    finally:
        stop(worker)
        stop(gunicorn)
        stop(redis_server)


def print_mixed(mixed: dict, whole, leaf, stream_clients: int) -> None:
    from domain.properties.recommendations import recommended_property_ids

    print(
        f"\nMixed run: hits at the root (the whole catalog, {len(recommended_property_ids(whole.id))} listed) "
        f"and a leaf ({len(recommended_property_ids(leaf.id))} listed), alternating, {MIXED_HITS} each per phase; "
        f"{stream_clients} clients booking meanwhile at {mixed['bookings_per_second']:.0f} bookings/s "
        f"({mixed['bookings']} bookings); worker CPU {mixed['worker_cpu_ms_per_booking']:.1f} ms per booking; "
        f"lists rebuilt while streaming: {mixed['rebuilt']}; load average {mixed['load']:.1f} on "
        f"{os.cpu_count()} cores; times in ms.\n"
    )
    print(
        "| case | idle p50 | idle p99 | streaming p50 | streaming p99 | p50 ratio | p99 ratio "
        "| Redis bytes per idle hit |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, path in (("root", mixed["root"]), ("leaf", mixed["leaf"]), ("health (control)", HEALTH_PATH)):
        idle, streaming = mixed["idle"][path], mixed["streaming"][path]
        i50, i99, s50, s99 = statistics.median(idle), p99(idle), statistics.median(streaming), p99(streaming)
        redis_bytes = f"{mixed['bytes'][path]:.0f}" if path in mixed["bytes"] else "-"
        print(
            f"| {label} | {i50:.1f} | {i99:.1f} | {s50:.1f} | {s99:.1f} | {s50 / i50:.2f} | {s99 / i99:.2f} "
            f"| {redis_bytes} |"
        )
    root_idle, leaf_idle = (statistics.median(mixed["idle"][mixed[key]]) for key in ("root", "leaf"))
    print(f"\nroot hit p50 / leaf hit p50, idle: {root_idle / leaf_idle:.2f}")


def print_table(rows) -> None:
    print(
        f"\nGET /api/properties/recommended/ over HTTP, gunicorn (2 workers) on 127.0.0.1, "
        f"PostgreSQL + Redis; {CATEGORIES} categories over {DEPTH} levels, {PROPERTIES} properties; "
        f"{MISSES} misses and {HITS} hits per case, page of 20; times in ms.\n"
    )
    header = ("case", "categories", "listed ids", "miss p50", "miss p99", "hit p50", "hit p99", "SQL miss", "SQL hit")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for label, categories, listed, miss50, miss99, hit50, hit99, sql_miss, sql_hit in rows:
        print(
            f"| {label} | {categories} | {listed} | {miss50:.1f} | {miss99:.1f} | {hit50:.1f} | {hit99:.1f} "
            f"| {sql_miss} | {sql_hit} |"
        )


if __name__ == "__main__":
    main()
