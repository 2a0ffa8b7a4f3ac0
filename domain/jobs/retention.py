"""Deleting jobs that have been final for longer than they are needed."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Job, JobStatus


def purge_finished(model: type[Job], *, batch_size: int | None = None) -> int:
    """Delete the jobs of `model` final for more than OPERATION_RETENTION_DAYS; returns how many.

    In batches of JOB_PURGE_BATCH_SIZE, each its own short transaction, so a
    large backlog never holds locks or bloats one transaction. A kind whose
    policy keeps FAILED jobs (webhook events: staff replay them) keeps them.
    """
    batch_size = batch_size or settings.JOB_PURGE_BATCH_SIZE
    statuses = [JobStatus.SUCCEEDED]
    if model.policy().purges_failed:
        statuses.append(JobStatus.FAILED)
    cutoff = timezone.now() - timedelta(days=settings.OPERATION_RETENTION_DAYS)
    finished = model.objects.filter(status__in=statuses, finished_at__lt=cutoff)
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(finished.order_by("finished_at").values_list("pk", flat=True)[:batch_size])
            purged += model.objects.filter(pk__in=batch).delete()[0]
        if len(batch) < batch_size:
            return purged
