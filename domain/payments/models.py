from decimal import Decimal

from django.conf import settings
from django.db import models

from domain.jobs.models import Job, JobPolicy, JobStatus


class Provider(models.TextChoices):
    STRIPE = "STRIPE"
    BKASH = "BKASH"


class Payment(models.Model):
    """One provider transaction for a booking: a booking started again has one row per transaction,
    its newest the current one, so that the money of a replaced one is never lost from sight."""

    class Status(models.TextChoices):
        INITIATED = "INITIATED"
        SUCCESS = "SUCCESS"
        FAILED = "FAILED"
        REFUND_PENDING = "REFUND_PENDING"
        REFUNDED = "REFUNDED"
        # Its refund job gave up: staff must look.
        REFUND_FAILED = "REFUND_FAILED"

    # Once a refund is under way no webhook changes the payment's state again
    # (but the provider's confirmation of a pending refund).
    REFUND_STATUSES = (Status.REFUND_PENDING, Status.REFUNDED, Status.REFUND_FAILED)

    booking = models.ForeignKey("bookings.Booking", on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=8, choices=Provider.choices)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.INITIATED)
    transaction_id = models.CharField(max_length=128)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    raw_response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Newest first: a booking's first payment is its current one.
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "transaction_id"], name="unique_provider_transaction"),
        ]
        indexes = [models.Index(fields=["booking", "-created_at"], name="payment_booking_newest")]
        permissions = [("refund_payment", "Can cancel a paid booking with a full refund")]

    def __str__(self):
        return f"{self.provider} {self.transaction_id} ({self.status})"


class PaymentHistory(models.Model):
    """One entry of a payment's append-only history: what happened, why, and on whose behalf.

    Its source is kept as plain facts (a kind and an id or a username), never
    a foreign key: operations and webhook events are purged after the
    retention period, and the history must outlive them unchanged.
    """

    class Entry(models.TextChoices):
        STARTED = "STARTED"
        PROVIDER_ANSWERED = "PROVIDER_ANSWERED"
        WEBHOOK_APPLIED = "WEBHOOK_APPLIED"
        WEBHOOK_REJECTED = "WEBHOOK_REJECTED"
        RECONCILED = "RECONCILED"
        CANCEL_REQUESTED = "CANCEL_REQUESTED"
        REFUND_REQUESTED = "REFUND_REQUESTED"
        REFUND_ATTEMPT_FAILED = "REFUND_ATTEMPT_FAILED"
        REFUND_PENDING = "REFUND_PENDING"
        REFUNDED = "REFUNDED"
        REFUND_FAILED = "REFUND_FAILED"

    class Source(models.TextChoices):
        OPERATION = "operation"
        WEBHOOK_EVENT = "webhook_event"
        STAFF = "staff"
        REFUND = "refund"
        RECONCILIATION = "reconciliation"
        SYSTEM = "system"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="history")
    entry = models.CharField(max_length=24, choices=Entry.choices)
    detail = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    # The operation's or refund's id, the webhook event's provider id, the staff member's username.
    source_id = models.CharField(max_length=255, blank=True)
    # The payment's status after the entry, as it was then.
    status = models.CharField(max_length=14, choices=Payment.Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "payment history"

    def __str__(self):
        return f"{self.entry} of payment {self.payment_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A payment's history is append-only: an entry is never changed.")
        super().save(*args, **kwargs)


class Refund(Job):
    """A full refund of one payment, run by a worker: the provider is called with no lock held, with the
    refund's id as its idempotency key, so that a run repeated after a crash never refunds twice."""

    # One refund per payment: a second request finds the first.
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="refund")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.CharField(max_length=255)
    # Who asked: a staff member's username, or blank when the rules did.
    requested_by = models.CharField(max_length=150, blank=True)
    provider_refund_id = models.CharField(max_length=128, blank=True)
    raw_response = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(Job.Meta):
        pass

    def __str__(self):
        return f"Refund {self.pk} of payment {self.payment_id} ({self.status})"

    @classmethod
    def policy(cls) -> JobPolicy:
        # Money is behind it: never given up for want of a worker; a provider
        # error is tried again later, up to REFUND_MAX_ATTEMPTS, then staff
        # see the payment REFUND_FAILED; a failed refund is kept for them.
        return JobPolicy(
            max_attempts=settings.REFUND_MAX_ATTEMPTS, max_redispatches=None, retries_errors=True, purges_failed=False
        )

    @classmethod
    def for_run(cls) -> models.QuerySet:
        return cls.objects.select_related("payment")

    @property
    def queue(self) -> str:
        return "payments"

    def give_up(self, why: str) -> None:
        from .refunds import record_refund_given_up  # refunds imports this module

        record_refund_given_up(self, why)


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
