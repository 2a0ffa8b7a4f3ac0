from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone


class JobStatus(models.TextChoices):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


FINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED)
UNFINISHED_STATUSES = (JobStatus.PENDING, JobStatus.RUNNING)


@dataclass(frozen=True)
class JobPolicy:
    """When the machinery gives up on a job of one kind: what differs by kind."""

    # Runs that began (and died, or failed with an error) before the job ends FAILED.
    max_attempts: int
    # Dispatches by the sweep before the job ends FAILED; None: never (money is behind it).
    max_redispatches: int | None
    # An unexpected error in a run: False ends the job FAILED at once (its
    # client is waiting); True leaves it for another attempt, later.
    retries_errors: bool = False
    # Whether a FAILED job is purged with the SUCCEEDED ones after the
    # retention period, or kept for a person to look at.
    purges_failed: bool = True


def first_redispatch_at() -> datetime:
    return redispatch_after(0)


def redispatch_after(redispatches: int) -> datetime:
    """When the sweep may send a job again that no run has taken: each wait twice the last,
    so that a backlog (or a long outage) is not queued again and again."""
    wait = settings.JOB_REDISPATCH_AFTER * 2 ** min(redispatches, 10)
    return timezone.now() + timedelta(seconds=wait)


class Job(models.Model):
    """What every recorded job has: its status, its runs, and when the sweep looks at it again.

    A concrete job says its `policy`, the `queue` its message goes to, and
    how it records being given up (`give_up`).
    """

    Status = JobStatus
    FINAL_STATUSES = FINAL_STATUSES
    # Whether this instance's announcement is registered for the commit (announce_after_commit).
    _announcing = False

    status = models.CharField(max_length=9, choices=JobStatus.choices, default=JobStatus.PENDING)
    # Runs that began, counted in a commit of their own before the work, so
    # that a run a crash ends still counts.
    attempts = models.PositiveIntegerField(default=0)
    # Messages the sweep sent again (the first dispatch is not counted).
    redispatches = models.PositiveIntegerField(default=0)
    # Until then a job no live run holds is left to the message already sent.
    redispatch_at = models.DateTimeField(default=first_redispatch_at)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        indexes = [
            models.Index(
                fields=["redispatch_at"],
                condition=Q(status__in=UNFINISHED_STATUSES),
                name="%(class)s_unfinished",
            ),
            models.Index(
                fields=["finished_at"],
                condition=Q(status__in=FINAL_STATUSES),
                name="%(class)s_finished",
            ),
        ]

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @classmethod
    def policy(cls) -> JobPolicy:
        raise NotImplementedError

    @property
    def queue(self) -> str:
        raise NotImplementedError

    def record_final(self, status: JobStatus, **fields) -> None:
        """Save the job final with `fields` (the kind's own record of the outcome); once that commits,
        `announce_final` runs."""
        self.status = status
        self.finished_at = timezone.now()
        for name, value in fields.items():
            setattr(self, name, value)
        self.save(update_fields=["status", "finished_at", *fields, *self.auto_updated_fields()])
        self.announce_after_commit()

    def announce_after_commit(self) -> None:
        """Have `announce_final` run once the transaction commits, once however often this is called.

        A run's final transaction calls it before its work (runs.run_job), so that the client waiting
        on the job hears of the outcome first, not after the rest of the after-commit work.
        """
        if not self._announcing:
            self._announcing = True
            transaction.on_commit(self.announce_final)

    def announce_final(self) -> None:
        """Tell whoever waits on this job that it is final (nobody, unless a kind says otherwise)."""

    def give_up(self, why: str) -> None:
        """End the job FAILED, saying `why` in the kind's own record: it is not run again."""
        raise NotImplementedError

    @classmethod
    def for_run(cls) -> models.QuerySet:
        """The query a run's final transaction reads its job with (what its work needs besides, joined)."""
        return cls.objects.all()

    @classmethod
    def auto_updated_fields(cls) -> list[str]:
        return [f.name for f in cls._meta.concrete_fields if getattr(f, "auto_now", False)]
