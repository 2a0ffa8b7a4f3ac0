"""Benchmark of the database time of GET /api/properties/?search=<term>: the page and its count.

    .venv/bin/python bench/search.py

Seeds 1,000 categories over 6 levels and 100,000 properties, whose
descriptions are a few hundred characters of varied words, with
`manage.py seed_catalog` in the benchmarks' database (BENCH_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/luxestate_bench, created if
missing; an existing catalog of that size is kept). For each filter the
property list is asked in this process, through Django's test client, and
the two statements it runs are captured: the COUNT and the page. Each is
then run under EXPLAIN (ANALYZE) and its median execution time printed,
with the trigram indexes and without them (dropped in a transaction that is
rolled back), which is how the table was read before. The times are
PostgreSQL's own, so the machine's other work weighs on them less than on
timings over HTTP. No cache is needed (BENCH_REDIS_URL, if set, is used).
"""

import json
import os
import statistics
import sys
from pathlib import Path

from catalog_database import CATEGORIES, DATABASE_URL, DEPTH, PROPERTIES, create_database_if_missing, seed_catalog
from stack import configure_environment

ROOT = Path(__file__).resolve().parent.parent
RUNS, WARMUP = 15, 3
# (what it is, query string). Streets are in about 0.3% of the descriptions;
# the common words in 8% to 32% of the rows.
FILTERS = [
    ("rare: a street", {"search": "Ashcombe Crescent"}),
    ("rare: another street", {"search": "glenrothes row"}),
    ("common, 3 letters", {"search": "sea"}),
    ("common", {"search": "pool"}),
    ("common", {"search": "villa"}),
    ("common", {"search": "marble"}),
    ("common", {"search": "terrace"}),
    ("location", {"location": "dubai"}),
]
# The search document's (search) and the location's (location).
TRIGRAM_INDEXES = ["property_search_document_trgm", "property_location_trgm"]


def statements_of(params: dict) -> tuple[int, str, str]:
    """(rows matched, COUNT statement, page statement) of the property list asked with `params`."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = Client().get("/api/properties/", params)
    assert response.status_code == 200, response.content
    count_sql, page_sql = (query["sql"] for query in captured)
    assert count_sql.startswith("SELECT COUNT(*)"), count_sql
    return response.json()["count"], count_sql, page_sql


def median_execution_ms(sql: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        timings = []
        for _ in range(WARMUP + RUNS):
            # TIMING OFF: the total is still measured, without a clock read per row.
            cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            timings.append((json.loads(plan) if isinstance(plan, str) else plan)[0]["Execution Time"])
    return statistics.median(timings[WARMUP:])


def without_trigram_indexes(measure):
    """What `measure()` returns with the trigram indexes dropped, in a transaction rolled back after."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX {', '.join(TRIGRAM_INDEXES)}")
        measured = measure()
        transaction.set_rollback(True)
    return measured


def main() -> None:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    create_database_if_missing()
    configure_environment(database_url=DATABASE_URL, redis_url=os.environ.get("BENCH_REDIS_URL", ""))
    import django

    django.setup()
    seed_catalog()
    rows = []
    for label, params in FILTERS:
        matched, count_sql, page_sql = statements_of(params)

        def both(count_sql=count_sql, page_sql=page_sql):
            return median_execution_ms(count_sql), median_execution_ms(page_sql)

        rows.append((label, params, matched, without_trigram_indexes(both), both()))
    print_table(rows)


def print_table(rows) -> None:
    print(
        f"\nGET /api/properties/?<filter>: database time of the COUNT and of the page (20 rows) the API runs, "
        f"median of {RUNS} EXPLAIN (ANALYZE) runs, in ms; {PROPERTIES} properties, {CATEGORIES} categories "
        f"over {DEPTH} levels.\n"
    )
    header = ("filter", "case", "rows", "share", "count, no index", "page, no index", "count", "page", "page + count")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for label, params, matched, (count_before, page_before), (count, page) in rows:
        query = "&".join(f"{key}={value}" for key, value in params.items())
        print(
            f"| `{query}` | {label} | {matched} | {matched / PROPERTIES:.1%} | {count_before:.1f} "
            f"| {page_before:.1f} | {count:.1f} | {page:.1f} | {count + page:.1f} |"
        )


if __name__ == "__main__":
    main()
