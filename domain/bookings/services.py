from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from domain.errors import DomainError, ErrorCode
from domain.notices.models import NoticeKind
from domain.notices.services import queue_notice
from domain.properties.models import Property
from domain.properties.services import set_property_availability

from .locks import lock_booking, lock_user_and_property
from .models import Booking
from .signals import booking_ended


def create_booking(*, user, property_id: int) -> Booking:
    """Book a property for `user`: a PENDING booking that holds it until paid or expired.

    Decided under the user's lock, then the property's (domain/bookings/locks.py):
    the property's decides who holds the property, the user's how many
    bookings the user has pending, so that concurrent requests of one user
    cannot all pass the cap. A user who canceled a booking of the property
    or let it expire waits BOOKING_REBOOK_COOLDOWN seconds to book it again.
    """
    with transaction.atomic():
        locked_property = lock_user_and_property(user_id=user.pk, property_id=property_id)
        if locked_property is None:
            raise DomainError(ErrorCode.PROPERTY_NOT_FOUND, "Property does not exist.")
        if locked_property.status != Property.Status.ACTIVE:
            raise DomainError(ErrorCode.PROPERTY_INACTIVE, "This property is not open for booking.")
        in_the_way = _bookings_in_the_way(user=user, locked_property=locked_property)
        if not locked_property.is_available or in_the_way["holding"]:
            raise DomainError(ErrorCode.PROPERTY_UNAVAILABLE, "This property is already booked.")
        if bookable_again_at := _rebook_cooldown_end(in_the_way["last_self_ended"]):
            raise DomainError(
                ErrorCode.REBOOK_COOLDOWN,
                "You canceled a booking of this property or let it expire: "
                f"you can book it again from {bookable_again_at.isoformat(timespec='seconds')}.",
            )
        if (pending := in_the_way["pending"]) >= settings.BOOKING_MAX_PENDING_PER_USER:
            raise DomainError(
                ErrorCode.TOO_MANY_PENDING_BOOKINGS,
                f"You have {pending} bookings waiting for payment, the most allowed: pay or cancel one first.",
            )
        booking = Booking.objects.create(
            user=user,
            property=locked_property,
            total_amount=locked_property.price,
            expires_at=timezone.now() + timedelta(seconds=settings.BOOKING_PENDING_TTL),
        )
        set_property_availability([locked_property.pk], available=False)
        queue_notice(kind=NoticeKind.BOOKING_CONFIRMED, booking=booking)
    return booking


def _holding(locked_property: Property) -> Q:
    return Q(property=locked_property, status__in=Booking.HOLDING_STATUSES)


def _bookings_in_the_way(*, user, locked_property: Property) -> dict:
    """What the booking rules ask of the bookings table, in one query (each part served by an index):
    `holding`, whether a booking holds the property; `last_self_ended`, when the user's last booking
    of it that they canceled or let expire ended; `pending`, how many bookings the user has PENDING."""
    holding = _holding(locked_property)
    self_ended = Q(user=user, property=locked_property, end_reason__in=Booking.COOLDOWN_REASONS)
    pending = Q(user=user, status=Booking.Status.PENDING)
    return Booking.objects.filter(holding | self_ended | pending).aggregate(
        holding=Count("pk", filter=holding),
        last_self_ended=Max("ended_at", filter=self_ended),
        pending=Count("pk", filter=pending),
    )


def _rebook_cooldown_end(last_self_ended: datetime | None) -> datetime | None:
    """When the user's cooldown on the property ends, if it has not yet; else None."""
    if last_self_ended is None:
        return None
    cooldown_end = last_self_ended + timedelta(seconds=settings.BOOKING_REBOOK_COOLDOWN)
    return cooldown_end if cooldown_end > timezone.now() else None


def is_held(locked_property: Property) -> bool:
    """Whether a booking holds the property (or it is marked unavailable); call under its lock."""
    return not locked_property.is_available or Booking.objects.filter(_holding(locked_property)).exists()


def pay_booking(booking: Booking) -> bool:
    """Mark a locked booking PAID; returns False when it cannot be.

    A booking that expired before its money arrived (or was canceled by a
    failed payment the provider later turned into a success) is paid if its
    property is still bookable and nobody holds it: it holds the property
    again. One its user (or staff) canceled is never brought back: someone
    decided it ends. Otherwise it stays as it is, and the money must be refunded.
    """
    if booking.status != Booking.Status.PENDING:
        if booking.end_reason in Booking.FINAL_REASONS:
            return False
        if booking.property.status != Property.Status.ACTIVE or is_held(booking.property):
            return False
        set_property_availability([booking.property_id], available=False)
    booking.status = Booking.Status.PAID
    # Holding its property again, it has not ended.
    booking.end_reason, booking.ended_at = "", None
    booking.save(update_fields=["status", "end_reason", "ended_at", "updated_at"])
    return True


def extend_hold_for_payment(booking: Booking) -> None:
    """Give a locked PENDING booking PAYMENT_HOLD_EXTENSION more seconds as its payment starts, once.

    A customer who starts paying near the end of the hold would otherwise see
    the booking expire while they pay, and their money refunded if someone
    else took the property meanwhile. Once only, so that starting payments
    again and again cannot hold a property for ever.
    """
    if booking.hold_extended:
        return
    booking.expires_at += timedelta(seconds=settings.PAYMENT_HOLD_EXTENSION)
    booking.hold_extended = True
    booking.save(update_fields=["expires_at", "hold_extended", "updated_at"])


def cancel_booking(*, user, booking_id: int) -> Booking:
    """Cancel the caller's PENDING booking and free its property."""
    with transaction.atomic():
        booking = lock_booking(booking_id, user=user)
        if booking is None:
            raise DomainError(ErrorCode.BOOKING_NOT_FOUND, "Booking not found.")
        if booking.status != Booking.Status.PENDING:
            raise DomainError(
                ErrorCode.BOOKING_NOT_CANCELABLE,
                f"Only a pending booking can be canceled; this one is {booking.status}.",
            )
        end_booking(booking, reason=Booking.EndReason.USER_CANCELED)
    return booking


# The status a booking ends in, by why it ends.
_ENDED_STATUS = {
    Booking.EndReason.USER_CANCELED: Booking.Status.CANCELED,
    Booking.EndReason.PAYMENT_FAILED: Booking.Status.CANCELED,
    Booking.EndReason.STAFF_CANCELED: Booking.Status.CANCELED,
    Booking.EndReason.EXPIRED: Booking.Status.EXPIRED,
}


def end_booking(booking: Booking, *, reason: Booking.EndReason) -> None:
    """End a locked holding booking for `reason`, CANCELED or EXPIRED by it, and free its property.

    The reason and the time are recorded: they decide the re-book cooldown.
    Whoever depends on bookings hears of it (`signals.booking_ended`).
    """
    booking.status = _ENDED_STATUS[reason]
    booking.end_reason = reason
    booking.ended_at = timezone.now()
    booking.save(update_fields=["status", "end_reason", "ended_at", "updated_at"])
    set_property_availability([booking.property_id], available=True)
    booking_ended.send(sender=Booking, booking=booking, reason=reason)


def expire_booking(booking_id: int, now) -> bool:
    """Expire one booking if, under its lock, it is still PENDING and past due."""
    with transaction.atomic():
        booking = lock_booking(booking_id, status=Booking.Status.PENDING, expires_at__lt=now)
        if booking is None:
            return False
        end_booking(booking, reason=Booking.EndReason.EXPIRED)
        queue_notice(kind=NoticeKind.BOOKING_EXPIRED, booking=booking)
    return True


def expire_stale_bookings(*, batch_size: int | None = None) -> int:
    """Expire every PENDING booking past `expires_at`; returns how many.

    Candidates are read in batches by id; each is then expired in its own
    short transaction under its lock, which re-checks the state, so a payment
    or cancel that won the race is left alone.
    """
    batch_size = batch_size or settings.BOOKING_EXPIRY_BATCH_SIZE
    now = timezone.now()
    expired, last_id = 0, 0
    while True:
        batch = list(
            Booking.objects.filter(status=Booking.Status.PENDING, expires_at__lt=now, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        for booking_id in batch:
            expired += expire_booking(booking_id, now)
        if len(batch) < batch_size:
            return expired
        last_id = batch[-1]
