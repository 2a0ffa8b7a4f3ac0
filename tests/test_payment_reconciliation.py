"""Reconciliation: payments still INITIATED near their booking's expiry are asked about at the provider,
and its answer is applied as its webhook would be (a lost webhook)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking
from domain.payments.models import Payment, WebhookEvent
from domain.payments.providers import simulated_ledger as ledger
from tasks.maintenance import reconcile_payments
from tests.support.payments import (
    booking_with_payment,
    expire,
    history_of,
    paid_at_provider,
    post_webhook,
    wait_for_event,
    webhook_body,
)

pytestmark = pytest.mark.django_db(transaction=True)


def expiring_in(seconds: int, provider: str):
    booking, payment = booking_with_payment(provider)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() + timedelta(seconds=seconds))
    return booking, payment


@pytest.mark.parametrize("provider", ["STRIPE", "BKASH"])
def test_a_payment_whose_webhook_was_lost_is_applied_from_the_providers_answer(celery_worker, api_client, provider):
    booking, payment = expiring_in(60, provider)
    paid_at_provider(payment)

    assert reconcile_payments() == 1

    event = wait_for_event(provider, f"{payment.transaction_id}:SUCCESS")
    assert event.result == WebhookEvent.Result.APPLIED
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PAID
    assert ("RECONCILED", "reconciliation", event.event_id) in history_of(payment)
    # The webhook, arriving after all, is a duplicate.
    late = post_webhook(api_client, provider, webhook_body(payment, "SUCCESS"))
    assert late.json() == {"detail": "duplicate"}


def test_a_declined_payment_found_by_reconciliation_frees_the_property(celery_worker):
    booking, payment = expiring_in(60, "STRIPE")
    ledger.record_outcome("STRIPE", payment.transaction_id, ledger.FAILED)

    assert reconcile_payments() == 1

    wait_for_event("STRIPE", f"{payment.transaction_id}:FAILED")
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELED


def test_payments_far_from_expiry_or_not_finished_are_left_alone(celery_worker):
    _, far = expiring_in(3600, "STRIPE")
    paid_at_provider(far)
    _, unfinished = expiring_in(60, "BKASH")

    assert reconcile_payments() == 0

    assert not WebhookEvent.objects.exists()
    assert set(Payment.objects.values_list("status", flat=True)) == {Payment.Status.INITIATED}


def canceled_by_its_user(booking):
    cancel_booking(user=booking.user, booking_id=booking.pk)


@pytest.mark.parametrize(
    "end, booking_after, payment_after",
    [
        # A user who canceled never gets the property back: the money goes back.
        pytest.param(canceled_by_its_user, Booking.Status.CANCELED, Payment.Status.REFUND_PENDING, id="canceled"),
        # Nobody took the property meanwhile: the late money buys it again.
        pytest.param(expire, Booking.Status.PAID, Payment.Status.SUCCESS, id="expired"),
    ],
)
def test_a_payment_that_went_through_as_its_booking_ended_is_applied_though_its_webhook_was_lost(
    celery_worker, end, booking_after, payment_after
):
    # The customer pays at the provider, its webhook never comes, and the booking ends before
    # reconciliation asked: the cancel at the provider is refused ("already succeeded").
    booking, payment = booking_with_payment("STRIPE")
    paid_at_provider(payment)
    end(booking)

    assert reconcile_payments() == 1

    event = wait_for_event("STRIPE", f"{payment.transaction_id}:SUCCESS")
    assert event.result == WebhookEvent.Result.APPLIED
    assert Booking.objects.get(pk=booking.pk).status == booking_after
    assert Payment.objects.get(pk=payment.pk).status == payment_after


def test_payments_of_bookings_that_ended_long_ago_are_left_alone(celery_worker):
    booking, payment = booking_with_payment("STRIPE")
    canceled_by_its_user(booking)
    Booking.objects.filter(pk=booking.pk).update(ended_at=timezone.now() - timedelta(hours=1))
    paid_at_provider(payment)

    assert reconcile_payments() == 0

    assert not WebhookEvent.objects.exists()
