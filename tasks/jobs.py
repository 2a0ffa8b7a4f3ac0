"""Sending a recorded job to its queue: after the commit, within a deadline, never twice into a dead broker.

The row is the truth and the message only a wake-up call, so a publish that
fails loses nothing: the job stays recorded and the sweep
(`tasks.maintenance.redispatch_jobs`) sends it once the broker answers.
What a failed publish must not do is make the request wait: it ends within
BROKER_PUBLISH_TIMEOUT (socket timeouts and the one retry included), and
then this process stops publishing for BROKER_BREAKER_COOLDOWN seconds, so a
hung broker costs one request that deadline, not every request.
"""

import logging
from collections.abc import Callable

from celery import Task
from django.conf import settings
from django.db import transaction

from config import log_context
from config.breaker import Breaker
from domain.jobs.models import Job
from domain.operations.models import Operation

from .observability import log_context_headers
from .retries import TRANSIENT_DATABASE_ERRORS

logger = logging.getLogger(__name__)

# The task that runs each kind of job, filled by `runs_jobs_of`.
JOB_TASKS: dict[type[Job], Task] = {}

# One retry at once: a pooled connection the broker dropped (a restart, a
# failover) fails its first use and succeeds on a new one. The socket
# timeouts (config/settings.py) are half the deadline each.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}


def runs_jobs_of(model: type[Job]):
    """Declare the Celery task that runs jobs of `model`, given a job's primary key as a string."""

    def register(task: Task) -> Task:
        JOB_TASKS[model] = task
        return task

    return register


def run_job_task(model: type[Job], pk: str, run: Callable[[str], Job | None]) -> Job | None:
    """The body of a job's task: `run(pk)`. An unexpected error (a bug, the soft time limit), which
    the run settled as the job's policy says (domain/jobs/runs.run_job), is logged, not raised."""
    try:
        return run(pk)
    except TRANSIENT_DATABASE_ERRORS:
        raise  # retried by the task (tasks/retries.py)
    except Exception:
        logger.exception("%s %s failed with an unexpected error", model.__name__, pk)
        return None


# Open for a while after a publish failed: this process then leaves dispatching to the sweep.
breaker = Breaker("BROKER_BREAKER_COOLDOWN")


def log_context_of(job: Job) -> dict:
    """The ids its task's log lines carry: an operation's are its own (the request that started it, even
    when the sweep sends it again); another job's, those of whatever work sends it now (a notice sent
    by a booking's run carries that booking's request, operation and user)."""
    if isinstance(job, Operation):
        return log_context_headers(request_id=job.request_id, operation_id=job.pk, user_id=job.owner_id)
    return log_context_headers(**{name: log_context.current(name) for name in log_context.FIELDS})


def dispatch(job: Job, *, expires: int | None = None) -> bool:
    """Queue a run of `job` on its queue; `expires` seconds later an unconsumed message is dropped.

    Returns whether the message was sent. A failure is logged, never raised.
    """
    if breaker.is_open():
        return _left_to_the_sweep(job)
    task = JOB_TASKS[type(job)]
    try:
        # Celery's pool has broker_pool_limit producers, fewer than a web process's threads: with a
        # hung broker the others would wait for one, each then to wait its own deadline. A thread
        # waits for one that long at most, and publishes only if nobody's publish failed meanwhile.
        with task.app.producer_pool.acquire(block=True, timeout=settings.BROKER_PUBLISH_TIMEOUT) as producer:
            if breaker.is_open():
                return _left_to_the_sweep(job)
            task.apply_async(
                args=[str(job.pk)],
                queue=job.queue,
                expires=expires,
                retry=True,
                retry_policy=PUBLISH_RETRY_POLICY,
                headers=log_context_of(job),
                producer=producer,
            )
    except Exception:
        breaker.trip()
        logger.exception(
            "could not publish %s %s: not publishing for %d s; the sweep will send it",
            type(job).__name__,
            job.pk,
            settings.BROKER_BREAKER_COOLDOWN,
        )
        return False
    return True


def _left_to_the_sweep(job: Job) -> bool:
    logger.warning("broker unavailable: %s %s left to the sweep", type(job).__name__, job.pk)
    return False


def dispatch_after_commit(job: Job) -> None:
    """Queue `job` once the transaction that recorded it commits, or a worker could look for a row not yet there."""
    transaction.on_commit(lambda: dispatch(job))
