"""prometheus_client's multiprocess mode: each process of gunicorn or of a Celery worker's pool writes its
metrics to files in PROMETHEUS_MULTIPROC_DIR, and whoever answers a scrape adds them up.

Nothing here imports prometheus_client at module level: it picks its mode
when first imported, so the variable must be set before (deploy/gunicorn.conf.py).
"""

import os

DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


def enabled() -> bool:
    return bool(os.environ.get(DIRECTORY))


def empty_directory() -> None:
    """Remove the files of an earlier run, whose processes are gone: counters start again from zero,
    as Prometheus expects of a restarted process, instead of adding up with the dead ones'."""
    with os.scandir(os.environ[DIRECTORY]) as entries:
        for entry in entries:
            if entry.name.endswith(".db"):
                os.unlink(entry.path)


def registry():
    """A registry of every process's metrics, for one scrape; the plain process registry without the mode."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    if not enabled():
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    return combined


def mark_process_dead(pid: int) -> None:
    """Drop a dead process's live gauges (its counters stay, summed into the total)."""
    from prometheus_client import multiprocess

    if enabled():
        multiprocess.mark_process_dead(pid)
