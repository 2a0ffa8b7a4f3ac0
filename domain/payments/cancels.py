"""Canceling at the provider the payments of a booking that ended unpaid, and those a payment run opened
but could not record (the booking ended, or was paid, during the provider's call), so that a late
success is rare.

A provider call, so never under a lock: it runs once the transaction that
ended the booking (or refused the payment) has committed. It is best effort:
a cancel lost with a dying worker, or refused, leaves a payment that may
still succeed, and such a success is refunded by itself (webhooks.py). An
unrecorded payment has no row for its success to find: its customer was
never given its client secret or checkout URL, and the webhook that would
report it is rejected and logged as an error.
"""

import logging

from django.db import transaction

from . import history
from .models import Payment
from .providers.base import ProviderError
from .providers.registry import strategy_for

logger = logging.getLogger(__name__)


def cancel_open_payments_after_commit(*, booking_id: int, why: str, keep_id: int | None = None) -> None:
    """Once the current transaction commits, cancel at their provider the booking's payments INITIATED
    now, but the one `keep_id` names (a payment just started, which replaces the others); call under
    the booking's lock.

    Which payments to cancel is decided here, under the lock, not after the
    commit: by then a newer payment of the booking may have been recorded,
    the one it waits on, and it must not be canceled by an older one's turn.
    """
    open_ids = list(
        Payment.objects.filter(booking_id=booking_id, status=Payment.Status.INITIATED)
        .exclude(pk=keep_id)
        .values_list("pk", flat=True)
    )
    if open_ids:
        transaction.on_commit(lambda: _cancel_open_payments(payment_ids=open_ids, why=why))


def _cancel_open_payments(*, payment_ids: list[int], why: str) -> None:
    # Still INITIATED: one that succeeded or failed meanwhile is left alone.
    for payment in Payment.objects.filter(pk__in=payment_ids, status=Payment.Status.INITIATED):
        _cancel(payment, why=why)


def cancel_unrecorded_payment_after_commit(*, provider: str, started, why: str) -> None:
    """Once the current transaction commits, cancel at its provider a payment it started that was not
    recorded (`started`, a services.StartedPayment: the booking ended or was paid while the provider
    was called), so that nobody can pay it.

    It has no row, hence no history: the log says what the provider answered.
    """
    # Unsaved: what the strategy reads of a payment to cancel it.
    unrecorded = Payment(provider=provider, transaction_id=started.answer.transaction_id, amount=started.answer.amount)

    def cancel() -> None:
        answered = _ask_provider_to_cancel(unrecorded, idempotency_key=f"cancel-{started.operation_id}")
        logger.warning("%s payment %s was not recorded (%s); %s", provider, unrecorded.transaction_id, why, answered)

    transaction.on_commit(cancel)


def _cancel(payment: Payment, *, why: str) -> None:
    answered = _ask_provider_to_cancel(payment, idempotency_key=f"cancel-{payment.pk}")
    history.record(payment, history.Entry.CANCEL_REQUESTED, source=history.Source.SYSTEM, detail=f"{why}; {answered}")


def _ask_provider_to_cancel(payment: Payment, *, idempotency_key: str) -> str:
    """Cancel a payment at its provider; returns what the provider answered, as the history says it."""
    try:
        answer = strategy_for(payment.provider).cancel_payment(payment, idempotency_key=idempotency_key)
    except ProviderError as error:
        logger.warning("could not cancel %s at its provider: %s", payment, error)
        return f"the provider refused the cancel: {error}"
    return f"the provider answered {answer.get('status') or answer.get('transactionStatus')}"
