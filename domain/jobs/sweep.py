"""Finding the jobs whose message was lost or whose run died, to send them again."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .liveness import holds_advisory_locks, run_by_no_one
from .models import UNFINISHED_STATUSES, Job, JobStatus, redispatch_after
from .runs import give_up

# Jobs taken by one sweep, so that its transaction stays short; the next
# sweep takes the rest.
SWEEP_BATCH_SIZE = 500


def take_orphans(model: type[Job]) -> list[Job]:
    """The unfinished jobs of `model` to dispatch again, each counted and given its next look.

    A job is taken when no live run holds it and either its run died (it is
    RUNNING: on PostgreSQL the run lock says so at once) or its
    `redispatch_at` has passed (its message was lost, or is stuck with a
    dead worker that had reserved it, or waits behind a backlog: a second
    message is harmless, since a run of a final job does nothing). A job
    its policy gives up on ends FAILED instead. A job whose row is locked
    right now (its run is finishing it) is left for the next sweep.

    A RUNNING job taken is set PENDING: no run has it any more, and from
    then on it waits for its `redispatch_at` as a lost message does. Left
    RUNNING, the next sweeps would each send it again at once, and give an
    operation up after OPERATION_MAX_REDISPATCHES sweeps (40 s) with no
    worker back instead of the half hour its back-off gives.
    """
    now = timezone.now()
    with transaction.atomic():
        unfinished = model.objects.select_for_update(skip_locked=True).filter(status__in=UNFINISHED_STATUSES)
        if holds_advisory_locks():
            due = run_by_no_one(unfinished.filter(Q(status=JobStatus.RUNNING) | Q(redispatch_at__lte=now)))
        else:
            due = unfinished.filter(redispatch_at__lte=now)
        again = []
        for job in due.order_by("redispatch_at")[:SWEEP_BATCH_SIZE]:
            if job.attempts >= job.policy().max_attempts:
                give_up(job, f"Gave up after {job.attempts} attempts.")
            elif job.policy().max_redispatches is not None and job.redispatches >= job.policy().max_redispatches:
                give_up(job, f"No worker ran it in {job.redispatches + 1} dispatches.")
            else:
                job.status = JobStatus.PENDING
                job.redispatch_at = redispatch_after(job.redispatches + 1)
                job.redispatches += 1
                job.save(update_fields=["status", "redispatches", "redispatch_at", *job.auto_updated_fields()])
                again.append(job)
    return again
