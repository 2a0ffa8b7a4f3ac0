"""Warning a customer BOOKING_EXPIRY_WARNING seconds before their unpaid hold ends, once per booking."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from domain.bookings.locks import lock_booking
from domain.bookings.models import Booking

from .models import NoticeKind
from .services import queue_notice


def warn_expiring_bookings() -> int:
    """Queue the warning of every PENDING booking that ends within BOOKING_EXPIRY_WARNING seconds and has
    not had it; returns how many were queued.

    Each is decided under the booking's locks, which re-check it is still
    PENDING, not yet past due and still ending within the warning: a payment
    that won the race gets no warning, and a hold its payment extended
    meanwhile is warned later, before its new end.
    The unique notice per booking and kind makes a second sweep a no-op.
    """
    now = timezone.now()
    ending = {"expires_at__gt": now, "expires_at__lte": now + timedelta(seconds=settings.BOOKING_EXPIRY_WARNING)}
    due = (
        Booking.objects.filter(status=Booking.Status.PENDING, **ending)
        .exclude(notices__kind=NoticeKind.BOOKING_EXPIRING)
        .order_by("expires_at")
        .values_list("pk", flat=True)
    )
    warned = 0
    for booking_id in due:
        with transaction.atomic():
            booking = lock_booking(booking_id, status=Booking.Status.PENDING, **ending)
            if booking is not None and queue_notice(kind=NoticeKind.BOOKING_EXPIRING, booking=booking):
                warned += 1
    return warned
