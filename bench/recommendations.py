"""Benchmark of GET /api/properties/recommended/ over HTTP against gunicorn.

    .venv/bin/python bench/recommendations.py

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
"""

import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from catalog_database import CATEGORIES, DATABASE_URL, DEPTH, PROPERTIES, create_database_if_missing, seed_catalog

ROOT = Path(__file__).resolve().parent.parent
MISSES, HITS, WARMUP = 200, 1_000, 20
WHOLE_CATALOG_SLUG = "bench-whole-catalog"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


def wait_until(ready, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"{what} did not start within {seconds} s")


def start_redis() -> tuple[str, subprocess.Popen | None]:
    if url := os.environ.get("BENCH_REDIS_URL"):
        return url, None
    if not shutil.which("redis-server"):
        sys.exit("redis-server is not installed: install it or set BENCH_REDIS_URL")
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    wait_until(lambda: port_open(port), "redis-server")
    return f"redis://127.0.0.1:{port}/0", server


def configure_environment(redis_url: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        STRIPE_WEBHOOK_SECRET="bench-only",
        BKASH_WEBHOOK_SECRET="bench-only",
        # The benchmark's own traffic must not be throttled (UserRateThrottle
        # counts anonymous clients too, by address).
        THROTTLE_ANON_RATE="100000000/min",
        THROTTLE_USER_RATE="100000000/min",
        LOG_LEVEL="WARNING",
    )


def seed():
    """The catalog, plus one bench-only category above its roots: the whole
    catalog as one subtree, the worst case for a miss."""
    from django.db import connection

    from domain.properties.management.commands.seed_catalog import GENERATED_CATEGORY_PREFIX
    from domain.properties.models import Category
    from domain.properties.recommendations import evict_all_recommendations

    seed_catalog()
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
        Category.objects.filter(slug__startswith=GENERATED_CATEGORY_PREFIX, children__isnull=True).order_by("id").first()
    )
    return [("leaf", leaf), (f"root (1 of {roots.count()})", largest_root), ("whole catalog", whole)]


def start_gunicorn(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-c", "deploy/gunicorn.conf.py",
         "-b", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"],
        cwd=ROOT, env={**os.environ, "WEB_CONCURRENCY": "2", "GUNICORN_MAX_REQUESTS": "0"},
        stdout=subprocess.DEVNULL, start_new_session=True,
    )
    wait_until(lambda: get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "/api/health/") == 200,
               "gunicorn")
    return server


def get(connection: http.client.HTTPConnection, path: str) -> int:
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response.status


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


def p99(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=100, method="inclusive")[98]


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


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    create_database_if_missing(DATABASE_URL)
    redis_url, redis_server = start_redis()
    configure_environment(redis_url)
    gunicorn = None
    try:
        import django

        django.setup()
        from django.core.cache import cache

        from domain.properties.recommendations import ids_key, lock_key, recommended_property_ids
        from domain.properties.tree import category_subtree_ids

        whole = seed()
        port = free_port()
        gunicorn = start_gunicorn(port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        rows = []
        for label, category in cases(whole):
            path = f"/api/properties/recommended/?category_id={category.id}"

            def forget(category_id=category.id):
                cache.delete_many([ids_key(category_id), lock_key(category_id)])

            timed_requests(connection, path, WARMUP, forget)
            misses = timed_requests(connection, path, MISSES, forget)
            hits = timed_requests(connection, path, HITS)
            sql_miss, sql_hit = queries_of_miss_and_hit(path, forget)
            rows.append((label, len(category_subtree_ids(category.id)), len(recommended_property_ids(category.id)),
                         statistics.median(misses), p99(misses), statistics.median(hits), p99(hits),
                         sql_miss, sql_hit))
        print_table(rows)
    finally:
        if gunicorn:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(timeout=30)
        if redis_server:
            redis_server.terminate()
            redis_server.wait(timeout=10)


def print_table(rows) -> None:
    print(f"\nGET /api/properties/recommended/ over HTTP, gunicorn (2 workers) on 127.0.0.1, "
          f"PostgreSQL + Redis; {CATEGORIES} categories over {DEPTH} levels, {PROPERTIES} properties; "
          f"{MISSES} misses and {HITS} hits per case, page of 20; times in ms.\n")
    header = ("case", "categories", "listed ids", "miss p50", "miss p99", "hit p50", "hit p99",
              "SQL miss", "SQL hit")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for label, categories, listed, miss50, miss99, hit50, hit99, sql_miss, sql_hit in rows:
        print(f"| {label} | {categories} | {listed} | {miss50:.1f} | {miss99:.1f} | {hit50:.1f} | {hit99:.1f} "
              f"| {sql_miss} | {sql_hit} |")


if __name__ == "__main__":
    main()
