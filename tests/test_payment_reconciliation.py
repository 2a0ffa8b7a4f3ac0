"""Reconciliation: payments still INITIATED near their booking's expiry are asked about at the provider,
and its answer is applied as its webhook would be (a lost webhook)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from domain.bookings.models import Booking
from domain.payments.models import Payment, WebhookEvent
from domain.payments.providers import simulated_ledger as ledger
from tasks.maintenance import reconcile_payments
from tests.support.payments import (
    booking_with_payment,
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
