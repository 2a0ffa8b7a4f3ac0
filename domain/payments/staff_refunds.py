"""Staff cancel a paid booking and give its money back: one transaction under the usual locks."""

import logging

from django.db import transaction

from domain.bookings.locks import lock_booking
from domain.bookings.models import Booking
from domain.bookings.services import end_booking
from domain.errors import DomainError, ErrorCode

from . import history
from .models import Payment, Refund
from .refunds import request_refund

logger = logging.getLogger(__name__)


def cancel_paid_booking_with_refund(*, booking_id: int, staff_username: str) -> Refund:
    """End a PAID booking CANCELED, free its property, and refund its payment in full (by a worker, soon).

    Only a PAID booking whose payment succeeded qualifies (`booking_not_refundable`
    otherwise). The history names the staff member.
    """
    with transaction.atomic():
        booking = lock_booking(booking_id)
        if booking is None:
            raise DomainError(ErrorCode.BOOKING_NOT_FOUND, f"No booking {booking_id}.")
        payment = Payment.objects.select_for_update().filter(booking=booking, status=Payment.Status.SUCCESS).first()
        if booking.status != Booking.Status.PAID or payment is None:
            raise DomainError(
                ErrorCode.BOOKING_NOT_REFUNDABLE,
                f"Only a paid booking can be canceled with a refund; booking {booking_id} is {booking.status}.",
            )
        end_booking(booking, reason=Booking.EndReason.STAFF_CANCELED)
        logger.warning("booking %s canceled with a full refund by %s", booking_id, staff_username)
        return request_refund(
            payment=payment,
            reason=f"staff member {staff_username} canceled the paid booking",
            source=history.Source.STAFF,
            source_id=staff_username,
            requested_by=staff_username,
        )
