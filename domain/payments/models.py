from django.db import models
from django.utils import timezone


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


class WebhookEvent(models.Model):
    class State(models.TextChoices):
        RECEIVED = "RECEIVED"
        APPLIED = "APPLIED"
        REJECTED = "REJECTED"
        # Its apply task failed WEBHOOK_MAX_ATTEMPTS times: a person has to
        # look (see the worker logs), fix the cause and set it RECEIVED again.
        FAILED = "FAILED"

    provider = models.CharField(max_length=8, choices=Provider.choices)
    event_id = models.CharField(max_length=255)
    payload = models.JSONField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.RECEIVED)
    outcome = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    # When its apply task was last queued: the sweeper re-dispatches an event
    # still RECEIVED long after this, and only once per sweep threshold, so a
    # backlog during a worker outage is not queued again at every sweep.
    dispatched_at = models.DateTimeField(default=timezone.now)
    # Runs of its apply task that began, counted before the run applies it,
    # so that one a crash ends still counts.
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="unique_provider_event"),
        ]
        indexes = [
            models.Index(
                fields=["dispatched_at"], condition=models.Q(state="RECEIVED"), name="webhook_event_unapplied"
            ),
        ]

    def __str__(self):
        return f"{self.provider} {self.event_id} ({self.state})"
