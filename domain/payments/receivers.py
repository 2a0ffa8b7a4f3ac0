"""What payments do when something they depend on happens (connected in apps.PaymentsConfig.ready)."""

from django.dispatch import receiver

from domain.bookings.models import Booking
from domain.bookings.signals import booking_ended

from .cancels import cancel_open_payments_after_commit


@receiver(booking_ended)
def cancel_open_payments_of_ended_booking(sender, *, booking: Booking, reason: Booking.EndReason, **kwargs) -> None:
    # A failed payment needs no cancel; an expired or canceled booking's open
    # payments would otherwise still succeed, and have to be refunded.
    if reason != Booking.EndReason.PAYMENT_FAILED:
        cancel_open_payments_after_commit(booking_id=booking.pk, why=f"booking {booking.pk} ended: {reason}")
