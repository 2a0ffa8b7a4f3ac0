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
import statistics
import sys
import time

from catalog_database import CATEGORIES, DATABASE_URL, DEPTH, PROPERTIES, create_database_if_missing, seed_catalog
from stack import ROOT, configure_environment, free_port, get, p99, start_gunicorn, start_redis, stop

MISSES, HITS, WARMUP = 200, 1_000, 20
WHOLE_CATALOG_SLUG = "bench-whole-catalog"


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


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    create_database_if_missing(DATABASE_URL)
    redis_url, redis_server = start_redis()
    configure_environment(database_url=DATABASE_URL, redis_url=redis_url)
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
        stop(gunicorn)
        stop(redis_server)


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
