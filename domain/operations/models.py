import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from domain.errors import ErrorCode
from domain.jobs.models import Job, JobPolicy, JobStatus

from .final_notices import announce_final


class Operation(Job):
    """A request the API accepted and a worker carries out; its client polls it.

    Its final state is committed in the same transaction as the change it
    made. What each kind does is declared once, in `kinds.py`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operations")
    # The name of its OperationKind (kinds.OPERATION_KINDS).
    kind = models.CharField(max_length=32)
    # Its kind's arguments, as JSON.
    arguments = models.JSONField(default=dict)
    # The booking (booking.*) or payment (payment.initiate) it produced.
    result_id = models.BigIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_detail = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    # sha256 of its kind and arguments, to tell a replay from a reused key.
    fingerprint = models.CharField(max_length=64)
    # The X-Request-ID of the request that started it, carried into its task's log lines.
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(Job.Meta):
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="unique_idempotency_key_per_owner",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.id} ({self.status})"

    @classmethod
    def policy(cls) -> JobPolicy:
        # A client waits on it: one no worker takes for OPERATION_MAX_REDISPATCHES
        # sweeps, or whose run fails unexpectedly, ends FAILED, so that its
        # client stops waiting.
        return JobPolicy(
            max_attempts=settings.OPERATION_MAX_ATTEMPTS, max_redispatches=settings.OPERATION_MAX_REDISPATCHES
        )

    @classmethod
    def for_run(cls) -> models.QuerySet:
        return cls.objects.select_related("owner")

    @property
    def declaration(self):
        from .kinds import OPERATION_KINDS  # kinds imports the services that import models

        return OPERATION_KINDS[self.kind]

    @property
    def queue(self) -> str:
        return self.declaration.queue

    def announce_final(self) -> None:
        announce_final(self.pk)

    def record_failure(self, code: ErrorCode, detail: str) -> None:
        self.record_final(JobStatus.FAILED, error_code=code, error_detail=detail[:500])

    def give_up(self, why: str) -> None:
        self.record_failure(ErrorCode.INTERNAL_ERROR, why)
