"""Telling a live run from a dead one: the database knows, not a timer.

On PostgreSQL a run holds a session-level advisory lock, keyed by its job,
for as long as it runs. PostgreSQL drops the lock the moment the run's
connection ends, so when a worker dies (SIGKILL, OOM, a lost machine) its
jobs are free at once, while a live run, however slow, keeps its lock. The
sweep takes the same key with a transaction-level try-lock: a job whose key
it gets has no live run.

Session state does not survive PgBouncer in transaction mode: workers must
reach PostgreSQL directly or through a session-mode pool (README, "Scaling out").

SQLite has no such locks: there a job counts as run by no one once its
`redispatch_at` has passed (the claim sets it JOB_STALE_AFTER ahead).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

# One 64-bit key per job, from its table and primary key: the same text on
# both sides, built in Python for the run and in SQL for the sweep.
_KEY_SQL = "hashtextextended(%s || {pk}::text, 0)"


def holds_advisory_locks() -> bool:
    return connection.vendor == "postgresql"


def _key_prefix(model) -> str:
    return f"{model._meta.db_table}:"


@contextmanager
def run_lock(model, pk) -> Iterator[bool]:
    """Hold the run lock of job `pk` while the block runs; yields False if another run holds it."""
    if not holds_advisory_locks():
        yield True
        return
    key = (_key_prefix(model), str(pk))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_lock({_KEY_SQL.format(pk='%s')})", key)
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT pg_advisory_unlock({_KEY_SQL.format(pk='%s')})", key)


def run_by_no_one(queryset: QuerySet) -> QuerySet:
    """The jobs of `queryset` that no live run holds; call inside the sweep's transaction.

    Each job it returns stays locked against new runs until that transaction
    ends, so a run cannot start between this check and the sweep's update.
    """
    model = queryset.model
    free = RawSQL(
        f"pg_try_advisory_xact_lock({_KEY_SQL.format(pk=model._meta.pk.column)})",
        (_key_prefix(model),),
        output_field=BooleanField(),
    )
    return queryset.alias(run_by_no_one=free).filter(run_by_no_one=True)
