from django.conf import settings
from django.db import models
from django.db.models import Q

from domain.jobs.models import Job, JobPolicy, JobStatus


class NoticeKind(models.TextChoices):
    BOOKING_CONFIRMED = "BOOKING_CONFIRMED"
    BOOKING_PAID = "BOOKING_PAID"
    BOOKING_EXPIRING = "BOOKING_EXPIRING"
    BOOKING_EXPIRED = "BOOKING_EXPIRED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    REFUND_DONE = "REFUND_DONE"
    PASSWORD_RESET = "PASSWORD_RESET"


class Notice(Job):
    """An email to send, recorded in the transaction of the change it reports, then sent by a worker."""

    kind = models.CharField(max_length=17, choices=NoticeKind.choices)
    # The address it goes to. For a password reset, the address asked for,
    # which may be nobody's: the worker looks the account up.
    email = models.EmailField(blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    booking = models.ForeignKey(
        "bookings.Booking", null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    # A password reset asked for an address (`email`, no recipient) is answered by one notice per
    # account with it (each its recipient, its link made when it is sent), recorded by the request's
    # run: each mail is then a record sent once, whichever of them failed before.
    reset_request = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reset_links"
    )
    # What the message says, as it was when the change committed (the
    # booking may have changed again by the time it is sent).
    context = models.JSONField(default=dict, blank=True)
    # Which of the booking's things of its kind it tells, when a booking can have several (a refund:
    # each of its payments may be refunded); blank when there is only one.
    about = models.CharField(max_length=64, blank=True)
    # What its run did: sent to whom, "no such account", or why it was given up.
    outcome = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(Job.Meta):
        constraints = [
            # A booking is told each thing once, however many times its change is
            # recorded or swept (the expiry warning: each booking warned once).
            models.UniqueConstraint(
                fields=["booking", "kind", "about"],
                condition=Q(booking__isnull=False),
                name="one_notice_per_booking_kind_and_about",
            ),
            models.UniqueConstraint(
                fields=["reset_request", "recipient"],
                condition=Q(reset_request__isnull=False),
                name="one_reset_link_per_request_and_account",
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.email or 'nobody'} ({self.status})"

    @classmethod
    def policy(cls) -> JobPolicy:
        # Nobody waits on it, so it is never given up for want of a worker,
        # and a send that fails (the SMTP server down) is tried again later,
        # up to NOTICE_MAX_ATTEMPTS runs.
        return JobPolicy(max_attempts=settings.NOTICE_MAX_ATTEMPTS, max_redispatches=None, retries_errors=True)

    @property
    def queue(self) -> str:
        return "notices"

    def give_up(self, why: str) -> None:
        self.record_final(JobStatus.FAILED, outcome=f"gave up: {why}"[:255])
