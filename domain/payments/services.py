"""Starting a payment for a booking: the provider call outside any lock, the record under the booking's lock."""

from django.db import transaction

from domain.bookings.locks import lock_booking
from domain.bookings.models import Booking
from domain.bookings.services import extend_hold_for_payment
from domain.errors import DomainError, ErrorCode

from .models import Payment
from .providers.base import ProviderError, ProviderPayment
from .providers.registry import strategy_for


def start_payment(*, user, booking_id: int, provider: str, payload: dict, idempotency_key: str) -> ProviderPayment:
    """Ask the provider to start a payment for the user's booking, holding no lock.

    A slow provider then delays only this payment; the booking's state is
    checked here to avoid a pointless provider call, and again by
    record_payment under the lock, where it counts.
    """
    booking = Booking.objects.filter(pk=booking_id, user=user).first()
    _check_payable(booking)
    try:
        return strategy_for(provider).start_payment(booking, payload, idempotency_key)
    except ProviderError as error:
        raise DomainError(ErrorCode.PROVIDER_ERROR, str(error)) from error


def record_payment(*, user, booking_id: int, provider: str, started: ProviderPayment) -> Payment:
    """Record a started payment as the booking's single Payment, if the booking can still be paid.

    The booking may have been paid, canceled or expired while the provider
    was being called: the rules are checked again under its lock. The
    booking's hold is extended (once) for the customer to finish paying.
    """
    with transaction.atomic():
        booking = lock_booking(booking_id, user=user)
        _check_payable(booking)
        if started.amount != booking.total_amount:
            raise DomainError(ErrorCode.PROVIDER_ERROR, "The provider's amount is not the booking's total.")
        extend_hold_for_payment(booking)
        payment, _ = Payment.objects.update_or_create(
            booking=booking,
            defaults={
                "provider": provider,
                "status": Payment.Status.INITIATED,
                "transaction_id": started.transaction_id,
                "amount": booking.total_amount,
                "raw_response": started.raw_response,
            },
        )
    return payment


def _check_payable(booking: Booking | None) -> None:
    if booking is None:
        raise DomainError(ErrorCode.BOOKING_NOT_FOUND, "Booking not found.")
    if booking.status == Booking.Status.PAID:
        raise DomainError(ErrorCode.BOOKING_ALREADY_PAID, "This booking is already paid.")
    if booking.status != Booking.Status.PENDING:
        raise DomainError(ErrorCode.BOOKING_NOT_PAYABLE, f"Only a pending booking can be paid; this one is {booking.status}.")
