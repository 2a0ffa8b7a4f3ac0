from django.conf import settings
from django.db import models
from django.db.models import Q


class Booking(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING"
        PAID = "PAID"
        CANCELED = "CANCELED"
        EXPIRED = "EXPIRED"

    # A booking in one of these holds its property.
    HOLDING_STATUSES = (Status.PENDING, Status.PAID)

    # PROTECT: deleting a user must not delete their bookings, the record of
    # what was booked and paid, nor strand the property a PENDING one holds.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    property = models.ForeignKey("properties.Property", on_delete=models.PROTECT, related_name="bookings")
    total_amount = models.DecimalField(max_digits=14, decimal_places=2)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
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
        ]

    def __str__(self):
        return f"Booking {self.pk} of {self.property_id} ({self.status})"
