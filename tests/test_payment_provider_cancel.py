"""Expiry and cancel also cancel the provider's pending payment, after the commit and with no lock held."""

import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking, expire_stale_bookings
from domain.operations.kinds import BOOKING_CANCEL, BookingCancelArguments
from domain.operations.services import execute_operation, start_operation
from domain.payments.models import Payment
from domain.payments.providers import simulated_ledger as ledger
from domain.payments.providers.registry import strategy_for
from domain.payments.webhooks import apply_webhook_event
from tests.support.clients import client_for, wait_for_operation
from tests.support.concurrency import row_locked, run_at_once
from tests.support.factories import BookingFactory
from tests.support.payments import (
    booking_with_payment,
    paid_at_provider,
    start_payment_of,
    stored_event,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("provider", ["STRIPE", "BKASH"])
def test_an_expired_booking_has_its_open_payment_canceled_at_the_provider(provider):
    booking, payment = booking_with_payment(provider)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert expire_stale_bookings() == 1

    assert ledger.state_of(provider, payment.transaction_id) == ledger.CANCELED
    assert payment.history.filter(entry="CANCEL_REQUESTED").count() == 1
    state = strategy_for(provider).retrieve(payment)
    assert state.status is None
    assert state.raw_response.get("status", state.raw_response.get("transactionStatus")) in ("canceled", "Cancelled")


def test_a_payment_started_again_cancels_the_open_one_it_replaces():
    booking, replaced = booking_with_payment("STRIPE")

    current = start_payment_of(booking, "BKASH", attempt=2)

    assert ledger.state_of("STRIPE", replaced.transaction_id) == ledger.CANCELED
    assert ledger.state_of("BKASH", current.transaction_id) == ledger.OPEN
    assert "replaced by payment" in replaced.history.get(entry="CANCEL_REQUESTED").detail


def test_a_payment_started_while_the_one_before_was_still_committing_is_not_canceled_by_it():
    # Two payment operations of one booking on two workers: the second waits for the first's lock,
    # records the newer payment and commits while the first is still busy with its after-commit
    # work (its client's long-poll announcement, say), before the first's cancel of "the others".
    booking = BookingFactory()
    first_recorded, second_committed = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            transaction.on_commit(lambda: second_committed.wait(10))  # after-commit work that takes a while
            payment = start_payment_of(booking, "STRIPE", attempt=1)
            first_recorded.set()
        return payment

    def second():
        assert first_recorded.wait(10)
        payment = start_payment_of(booking, "BKASH", attempt=2)  # waits for the first's commit
        second_committed.set()
        return payment

    replaced, current = run_at_once([first, second])

    assert not isinstance(replaced, Exception) and not isinstance(current, Exception), (replaced, current)
    # The booking waits on the newer payment: its customer can still pay it.
    assert ledger.state_of("BKASH", current.transaction_id) == ledger.OPEN
    assert not current.history.filter(entry="CANCEL_REQUESTED").exists()
    assert ledger.state_of("STRIPE", replaced.transaction_id) == ledger.CANCELED


def test_a_booking_its_user_cancels_has_its_payment_canceled_at_the_provider_after_the_commit(monkeypatch):
    booking, payment = booking_with_payment("STRIPE")
    operation, _ = start_operation(
        owner=booking.user, kind=BOOKING_CANCEL, arguments=BookingCancelArguments(booking_id=booking.pk)
    )
    seen_during_the_transaction = []
    original_cancel = ledger.cancel

    def cancel_and_look(provider, transaction_id):
        # Called after the commit: the booking is CANCELED for everyone, and another connection can lock it.
        seen_during_the_transaction.append(Booking.objects.get(pk=booking.pk).status)
        with row_locked(Booking, booking.pk):
            return original_cancel(provider, transaction_id)

    monkeypatch.setattr(ledger, "cancel", cancel_and_look)

    execute_operation(operation.pk)

    assert seen_during_the_transaction == [Booking.Status.CANCELED]
    assert ledger.state_of("STRIPE", payment.transaction_id) == ledger.CANCELED


def test_a_payment_the_customer_already_finished_refuses_the_cancel_and_the_history_says_so():
    booking, payment = booking_with_payment("STRIPE")
    ledger.record_outcome("STRIPE", payment.transaction_id, ledger.SUCCEEDED)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    expire_stale_bookings()

    entry = payment.history.get(entry="CANCEL_REQUESTED")
    assert "refused" in entry.detail and "already succeeded" in entry.detail
    assert ledger.state_of("STRIPE", payment.transaction_id) == ledger.SUCCEEDED


def canceled_by_its_user(booking):
    cancel_booking(user=booking.user, booking_id=booking.pk)


def expired_by_the_beat(booking):
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_stale_bookings() == 1


def paid_through_another_payment(booking):
    # The customer's other tab started a bKash payment and finished it.
    other = start_payment_of(booking, "BKASH")
    paid_at_provider(other)
    apply_webhook_event(stored_event(other, "SUCCESS").pk)


@pytest.mark.parametrize(
    "end, code",
    [
        pytest.param(canceled_by_its_user, "booking_not_payable", id="canceled-by-its-user"),
        pytest.param(expired_by_the_beat, "booking_not_payable", id="expired-by-the-beat"),
        pytest.param(paid_through_another_payment, "booking_already_paid", id="paid-through-another-payment"),
    ],
)
def test_a_payment_the_provider_opened_while_its_booking_ended_is_canceled_at_the_provider(
    celery_worker, gated_stripe, end, code
):
    # The provider opens a payment while, on another connection, the booking ends and commits: the run,
    # back with the provider's answer, cannot record it; nobody must be able to pay it any more.
    booking = BookingFactory()
    client = client_for(booking.user)
    accepted = client.post("/api/payments/initiate/", {"booking_id": booking.pk, "provider": "STRIPE"})
    assert gated_stripe.called.wait(20)
    try:
        end(booking)
    finally:
        gated_stripe.may_answer.set()

    done = wait_for_operation(client, accepted["Location"])

    assert (done["status"], done["error"]["code"]) == ("FAILED", code)
    [opened] = gated_stripe.answers
    assert not Payment.objects.filter(transaction_id=opened.transaction_id).exists()
    wait_until(
        lambda: ledger.state_of("STRIPE", opened.transaction_id),
        10,
        "the payment the run could not record to be canceled at its provider",
        met=lambda state: state == ledger.CANCELED,
    )
