import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Operation(models.Model):
    """A request the API accepted and a Celery task carries out.

    The client polls it; its final state is committed in the same transaction
    as the change it made.
    """

    class Kind(models.TextChoices):
        BOOKING_CREATE = "booking.create"
        BOOKING_CANCEL = "booking.cancel"
        PAYMENT_INITIATE = "payment.initiate"

    class Status(models.TextChoices):
        PENDING = "PENDING"
        RUNNING = "RUNNING"
        SUCCEEDED = "SUCCEEDED"
        FAILED = "FAILED"

    FINAL_STATUSES = (Status.SUCCEEDED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operations")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    request = models.JSONField(default=dict)
    # The booking (booking.*) or payment (payment.initiate) it produced.
    result_id = models.BigIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_detail = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    # sha256 of the canonical request, to tell a replay from a reused key.
    request_hash = models.CharField(max_length=64)
    attempts = models.PositiveIntegerField(default=0)
    redispatches = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="unique_idempotency_key_per_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at"], condition=Q(status__in=["PENDING", "RUNNING"]), name="operation_unfinished"),
        ]

    def __str__(self):
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES
