"""What a worker tells about its tasks: the ids on their log lines, and its own task metrics on a port.

The ids come in the message's `log_context` header (tasks/jobs.py puts the
operation's request id, id and owner there), so a task's lines carry the
X-Request-ID of the request that started it.

Metrics: with CELERY_METRICS_PORT set the worker's main process serves
them at http://<host>:<port>/. The pool's processes run the tasks, so they
count in prometheus_client's multiprocess mode, into files under
PROMETHEUS_MULTIPROC_DIR that the main process adds up at each scrape; that
directory is this worker's own (two workers on one machine each need one)
and is emptied at start-up.
"""

import logging
import time

from celery.signals import task_failure, task_postrun, task_prerun, task_retry, worker_init, worker_process_shutdown
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from prometheus_client import Counter, Histogram, start_http_server

from config import log_context, multiprocess_metrics

logger = logging.getLogger(__name__)

LOG_CONTEXT_HEADER = "log_context"

TASK_RUNS = Counter("luxestate_celery_task_runs_total", "Task runs started, by task.", ["task"])
TASK_FAILURES = Counter("luxestate_celery_task_failures_total", "Task runs that raised, by task.", ["task"])
TASK_RETRIES = Counter("luxestate_celery_task_retries_total", "Task runs that asked for a retry, by task.", ["task"])
TASK_DURATION = Histogram(
    "luxestate_celery_task_duration_seconds",
    "How long task runs took, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)

# Start times of the runs in progress in this process, by task id.
_started: dict[str, float] = {}


def log_context_headers(**ids) -> dict:
    """The message headers that give a task's log lines these ids (the unknown ones left out)."""
    return {LOG_CONTEXT_HEADER: {name: str(value) for name, value in ids.items() if value}}


@task_prerun.connect
def _begin(task_id, task, **_):
    log_context.clear()
    given = (task.request.headers or {}).get(LOG_CONTEXT_HEADER) or {}
    log_context.bind(**{name: value for name, value in given.items() if name in log_context.FIELDS})
    TASK_RUNS.labels(task.name).inc()
    _started[task_id] = time.perf_counter()


@task_postrun.connect
def _end(task_id, task, **_):
    if (started := _started.pop(task_id, None)) is not None:
        TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)
    log_context.clear()


@task_failure.connect
def _failed(sender, **_):
    TASK_FAILURES.labels(sender.name).inc()


@task_retry.connect
def _retried(sender, **_):
    TASK_RETRIES.labels(sender.name).inc()


@worker_init.connect
def _serve_metrics(**_):
    port = settings.WORKER_METRICS_PORT
    if port is None:
        return
    if not multiprocess_metrics.enabled():
        raise ImproperlyConfigured(
            "CELERY_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR: a directory of this worker's own, where its "
            "pool's processes write the metrics its main process serves."
        )
    multiprocess_metrics.empty_directory()
    start_http_server(port, registry=multiprocess_metrics.registry())
    logger.info("task metrics on port %d", port)


@worker_process_shutdown.connect
def _forget_process(pid, **_):
    multiprocess_metrics.mark_process_dead(pid)
