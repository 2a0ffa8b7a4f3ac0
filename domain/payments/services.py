"""Starting a payment for a booking: the provider call outside any lock, the record under the booking's lock."""

from dataclasses import dataclass

from django.db import transaction

from domain.bookings.locks import lock_booking
from domain.bookings.models import Booking
from domain.bookings.services import extend_hold_for_payment
from domain.errors import DomainError, ErrorCode

from . import history
from .cancels import cancel_open_payments_after_commit
from .models import Payment
from .providers.base import ProviderError, ProviderPayment
from .providers.registry import strategy_for


@dataclass(frozen=True)
class StartedPayment:
    """A payment the provider started, and the operation that asked (its id was the idempotency key)."""

    answer: ProviderPayment
    operation_id: str


def start_payment(
    *, user, booking_id: int, provider: str, payload: dict, idempotency_key: str, retry: bool
) -> StartedPayment:
    """Ask the provider to start a payment for the user's booking, holding no lock.

    A slow provider then delays only this payment; the booking's state is
    checked here to avoid a pointless provider call, and again by
    record_payment under the lock, where it counts. Not on a `retry`: the
    run that died before may have had the payment opened, and the provider,
    deduping on the key, answers with it again, for record_payment's
    refusal to have it canceled (the operation kind's abandon).
    """
    booking = Booking.objects.filter(pk=booking_id, user=user).first()
    if booking is None or not retry:
        _check_payable(booking)
    try:
        answer = strategy_for(provider).start_payment(booking, payload, idempotency_key)
    except ProviderError as error:
        raise DomainError(ErrorCode.PROVIDER_ERROR, str(error)) from error
    return StartedPayment(answer=answer, operation_id=idempotency_key)


def record_payment(*, user, booking_id: int, provider: str, started: StartedPayment) -> Payment:
    """Record a started payment as the booking's current Payment, if the booking can still be paid.

    The booking may have been paid, canceled or expired while the provider
    was being called: the rules are checked again under its lock. Each
    provider transaction keeps a row of its own (the newest is the booking's
    current payment), so that an earlier one that succeeds late is seen and
    refunded, not overwritten; the earlier ones still open are canceled at
    their provider after the commit. The booking's hold is extended (once)
    for the customer to finish paying.
    """
    answer = started.answer
    with transaction.atomic():
        booking = lock_booking(booking_id, user=user)
        _check_payable(booking)
        if answer.amount != booking.total_amount:
            raise DomainError(ErrorCode.PROVIDER_ERROR, "The provider's amount is not the booking's total.")
        extend_hold_for_payment(booking)
        payment = Payment.objects.create(
            booking=booking,
            provider=provider,
            transaction_id=answer.transaction_id,
            amount=booking.total_amount,
            raw_response=answer.raw_response,
        )
        source = {"source": history.Source.OPERATION, "source_id": started.operation_id}
        history.record(payment, history.Entry.STARTED, **source, detail=f"{provider} payment of {payment.amount}")
        history.record(
            payment,
            history.Entry.PROVIDER_ANSWERED,
            **source,
            detail=f"transaction {answer.transaction_id}: "
            f"{answer.raw_response.get('status') or answer.raw_response.get('transactionStatus')}",
        )
        cancel_open_payments_after_commit(
            booking_id=booking.pk, why=f"replaced by payment {payment.pk}", keep_id=payment.pk
        )
    return payment


def _check_payable(booking: Booking | None) -> None:
    if booking is None:
        raise DomainError(ErrorCode.BOOKING_NOT_FOUND, "Booking not found.")
    if booking.status == Booking.Status.PAID:
        raise DomainError(ErrorCode.BOOKING_ALREADY_PAID, "This booking is already paid.")
    if booking.status != Booking.Status.PENDING:
        raise DomainError(
            ErrorCode.BOOKING_NOT_PAYABLE, f"Only a pending booking can be paid; this one is {booking.status}."
        )
