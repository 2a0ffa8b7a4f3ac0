from django.conf import settings
from django.db import models

from domain.jobs.models import Job, JobPolicy, JobStatus


class Provider(models.TextChoices):
    STRIPE = "STRIPE"
    BKASH = "BKASH"


class Payment(models.Model):
    class Status(models.TextChoices):
        INITIATED = "INITIATED"
        SUCCESS = "SUCCESS"
        FAILED = "FAILED"

    booking = models.OneToOneField("bookings.Booking", on_delete=models.PROTECT, related_name="payment")
    provider = models.CharField(max_length=8, choices=Provider.choices)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.INITIATED)
    transaction_id = models.CharField(max_length=128)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    raw_response = models.JSONField(default=dict, blank=True)
    # SUCCESS arrived for a booking whose property another booking holds now.
    needs_refund = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "transaction_id"], name="unique_provider_transaction"),
        ]

    def __str__(self):
        return f"{self.provider} {self.transaction_id} ({self.status})"


class WebhookEvent(Job):
    """A provider's verified notice, stored once, then applied by a worker under the booking's lock."""

    class Result(models.TextChoices):
        APPLIED = "APPLIED"
        # Not the transaction of the booking's payment: nothing changed.
        REJECTED = "REJECTED"

    provider = models.CharField(max_length=8, choices=Provider.choices)
    event_id = models.CharField(max_length=255)
    payload = models.JSONField()
    # Set when it SUCCEEDED; a FAILED event (its runs kept failing) has
    # none: a person has to look (see the worker logs) and replay it.
    result = models.CharField(max_length=8, choices=Result.choices, blank=True)
    outcome = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta(Job.Meta):
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="unique_provider_event"),
        ]
        permissions = [("replay_webhookevent", "Can replay a failed webhook event")]

    def __str__(self):
        return f"{self.provider} {self.event_id} ({self.status})"

    @classmethod
    def policy(cls) -> JobPolicy:
        # Money is behind it: never given up for want of a worker, a run that
        # fails is tried again later, up to WEBHOOK_MAX_ATTEMPTS, and one
        # given up is kept until staff replay it.
        return JobPolicy(
            max_attempts=settings.WEBHOOK_MAX_ATTEMPTS, max_redispatches=None, retries_errors=True, purges_failed=False
        )

    @property
    def queue(self) -> str:
        return "webhooks"

    def give_up(self, why: str) -> None:
        self.record_final(JobStatus.FAILED, outcome=f"gave up: {why}"[:255])
