from django.conf import settings
from django.db import models
from django.db.models import Q


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING"
        PAID = "PAID"
        CANCELED = "CANCELED"
        EXPIRED = "EXPIRED"

    class EndReason(models.TextChoices):
        USER_CANCELED = "USER_CANCELED"
        EXPIRED = "EXPIRED"
        PAYMENT_FAILED = "PAYMENT_FAILED"
        # Staff canceled it, paid, and refunded its payment.
        STAFF_CANCELED = "STAFF_CANCELED"

    # A booking ended for one of these is never brought back by a late payment:
    # someone decided it ends, and its money goes back.
    FINAL_REASONS = (EndReason.USER_CANCELED, EndReason.STAFF_CANCELED)

    # A booking in one of these holds its property.
    HOLDING_STATUSES = (Status.PENDING, Status.PAID)
    # After a booking ended for one of these, its user cannot book the property
    # again for BOOKING_REBOOK_COOLDOWN seconds. A declined card is not one:
    # its customer may try again at once.
    COOLDOWN_REASONS = (EndReason.USER_CANCELED, EndReason.EXPIRED)

    # PROTECT: deleting a user must not delete their bookings, the record of
    # what was booked and paid, nor strand the property a PENDING one holds.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="bookings")
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    # Starting its payment gave it PAYMENT_HOLD_EXTENSION more seconds (once only).
    hold_extended = models.BooleanField(default=False)
    # Why and when it stopped holding its property; blank while it holds it.
    end_reason = models.CharField(max_length=14, choices=EndReason.choices, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["property"],
                condition=Q(status__in=["PENDING", "PAID"]),
                name="one_holding_booking_per_property",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["expires_at"], condition=Q(status="PENDING"), name="pending_booking_expiry"),
            # The re-book cooldown's lookup: when one user last canceled or let expire one property.
            models.Index(
                fields=["user", "property", "ended_at"],
                condition=Q(end_reason__in=["USER_CANCELED", "EXPIRED"]),
                name="rebook_cooldown",
            ),
        ]

    def __str__(self):
        return f"Booking {self.pk} of {self.property_id} ({self.status})"
