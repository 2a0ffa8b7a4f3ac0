"""The benchmarks' own database and the generated catalog they share (no benchmark here).

BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/luxestate_bench,
is created if missing; `manage.py seed_catalog` keeps a generated catalog of
the same size, so the benchmarks seed it once between them.
"""

import os

import psycopg

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/luxestate_bench")
CATEGORIES, DEPTH, PROPERTIES = 1_000, 6, 100_000


def create_database_if_missing(url: str = DATABASE_URL) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def seed_catalog() -> None:
    """Migrate, seed the generated catalog (or keep the one there), and refresh the planner's statistics.

    Call after django.setup().
    """
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("seed_catalog", categories=CATEGORIES, depth=DEPTH, properties=PROPERTIES)
    # A kept catalog may never have been analyzed; production tables are.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE properties_category, properties_property")


def free_every_property() -> None:
    """Remove the bookings of an earlier run and make every property bookable again. Call after django.setup()."""
    from django.db import connection

    with connection.cursor() as cursor:
        # CASCADE: and what refers to them (payment history, refunds, notices).
        cursor.execute(
            "TRUNCATE payments_payment, bookings_booking, operations_operation, payments_webhookevent CASCADE"
        )
        # Only the rows the last run changed: rewriting every row would add a
        # version of each to every index (the trigram ones too) run after run.
        cursor.execute(
            "UPDATE properties_property SET is_available = true, status = 'ACTIVE'"
            " WHERE NOT is_available OR status <> 'ACTIVE'"
        )
        # What autovacuum does in production, now rather than some time later,
        # so that each run starts from the same state: dead row versions
        # gone, the trigram indexes' pending entries merged.
        cursor.execute("VACUUM ANALYZE")
