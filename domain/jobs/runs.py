"""One run of a job: claim it, do its work, commit its final state with the change it made."""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from .liveness import run_lock
from .models import UNFINISHED_STATUSES, Job, JobStatus, redispatch_after

logger = logging.getLogger(__name__)

J = TypeVar("J", bound=Job)

# A deadlock or a lost database connection is worth another try, later; the
# job stays unfinished meanwhile, and the sweep picks it up if the retries
# run out (tasks/retries.py).
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


def run_job(
    model: type[J],
    pk,
    *,
    finish: Callable[[J, Any], None],
    prepare: Callable[[J], Any] | None = None,
) -> J | None:
    """Run job `pk` to its final state; safe to call any number of times, at once or later.

    Returns the job if this call finished it, else None: it was final
    already, another live run holds it, or it was given up.

    `prepare(job)` runs first with no lock held (a call to a payment
    provider); `finish(job, prepared)` then runs in the transaction that
    holds the job's row lock and must save the job final (`record_final`),
    so that the change and the job's final state commit together and of two
    runs only the first changes anything.

    An unexpected error in either (a bug, the soft time limit) settles the
    job as its policy says (`settle_after_error`), never left RUNNING, and is
    raised on; a transient database error is raised as it is, for the task
    to try again.
    """
    with run_lock(model, pk) as held:
        if not held:
            logger.info("%s %s is being run elsewhere: this delivery does nothing", model.__name__, pk)
            return None
        claimed = claim(model, pk)
        if claimed is None:
            return None
        try:
            prepared = prepare(claimed) if prepare is not None else None
            with transaction.atomic():
                job = model.for_run().select_for_update(of=("self",)).get(pk=pk)
                if job.is_final:
                    return None
                # Registered before the work's own after-commit callbacks: the waiting client hears first.
                job.announce_after_commit()
                finish(job, prepared)
        except TRANSIENT_DATABASE_ERRORS:
            raise  # the task tries again; the job stays RUNNING meanwhile
        except Exception:
            # Settled while this run still holds the lock: let go first, a
            # second delivery could start a run (its prepare calling a payment
            # provider) that this settle would then give up under it.
            settle_after_error(model, pk)
            raise
        return job


def claim(model: type[J], pk) -> J | None:
    """Mark a job RUNNING for one more attempt, in a commit of its own, and return it as claimed;
    None if there is nothing to run.

    One statement in the common case, an UPDATE ... RETURNING, which reads
    the row `prepare` is given as well (the ORM's update() returns a count
    only). A final job (a duplicate delivery) is left alone; one that has
    used up its attempts (its runs keep dying or failing) is given up.
    """
    claimed = _claim_row(model, pk)
    if claimed is not None:
        return claimed
    with transaction.atomic():
        job = model.objects.select_for_update().filter(pk=pk).first()
        if job is not None and not job.is_final:
            give_up(job, f"Gave up after {job.attempts} attempts.")
    return None


def give_up(job: Job, why: str) -> None:
    logger.error("%s %s: %s", type(job).__name__, job.pk, why)
    job.give_up(why)


def settle_after_error(model: type[J], pk) -> None:
    """After a run failed with an unexpected error: give the job up, or leave it for a later attempt,
    as its policy says. A final job is left alone."""
    with transaction.atomic():
        job = model.objects.select_for_update().filter(pk=pk).first()
        if job is None or job.is_final:
            return
        if not job.policy().retries_errors:
            give_up(job, "It failed with an unexpected error.")
            return
        job.status = JobStatus.PENDING
        job.redispatch_at = redispatch_after(job.attempts)
        job.save(update_fields=["status", "redispatch_at", *job.auto_updated_fields()])


def requeue(job: Job, **fields) -> None:
    """Give a job that was given up a fresh set of attempts, with `fields` saved beside; call under its
    row lock. The next sweep sends it: the row is the truth, the message follows."""
    job.status = JobStatus.PENDING
    job.attempts = job.redispatches = 0
    job.finished_at = None
    job.redispatch_at = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(
        update_fields=[
            "status",
            "attempts",
            "redispatches",
            "finished_at",
            "redispatch_at",
            *fields,
            *job.auto_updated_fields(),
        ]
    )


def _claim_row(model: type[J], pk) -> J | None:
    now = timezone.now()
    meta = model._meta

    def column(name: str) -> str:
        return connection.ops.quote_name(meta.get_field(name).column)

    def value(name: str, python_value):
        return meta.get_field(name).get_db_prep_value(python_value, connection)

    assignments = {
        "status": value("status", JobStatus.RUNNING),
        # Read only where no run lock tells a live run from a dead one (SQLite).
        "redispatch_at": value("redispatch_at", now + timedelta(seconds=settings.JOB_STALE_AFTER)),
        **{name: value(name, now) for name in model.auto_updated_fields()},
    }
    unfinished = [value("status", status) for status in UNFINISHED_STATUSES]
    sql = (
        f"UPDATE {connection.ops.quote_name(meta.db_table)}"
        f" SET {column('attempts')} = {column('attempts')} + 1, "
        + ", ".join(f"{column(name)} = %s" for name in assignments)
        + f" WHERE {column(meta.pk.name)} = %s"
        + f" AND {column('status')} IN ({', '.join(['%s'] * len(unfinished))})"
        + f" AND {column('attempts')} < %s RETURNING *"
    )
    params = [*assignments.values(), value(meta.pk.name, pk), *unfinished, model.policy().max_attempts]
    return next(iter(model.objects.raw(sql, params)), None)
