"""A task that does nothing, for bench/floor.py: what a Celery run costs before any work."""

from celery import shared_task


@shared_task(name="bench.noop")
def noop() -> None:
    return None
