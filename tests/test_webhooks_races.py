"""Webhooks racing expiry, new bookings and each other; the sweeper for events whose task was lost."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import create_booking, expire_stale_bookings
from domain.errors import DomainError
from domain.payments import webhooks
from domain.payments.models import Payment, Refund, WebhookEvent
from domain.payments.webhooks import apply_webhook_event
from domain.properties.models import Property
from tasks.maintenance import redispatch_jobs
from tests.support.clients import client_for
from tests.support.concurrency import run_at_once
from tests.support.factories import UserFactory
from tests.support.payments import (
    booking_with_payment,
    post_webhook,
    start_payment_of,
    stored_event,
    wait_for_event,
    webhook_body,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def overdue_booking_with_payment(provider="STRIPE"):
    """A PENDING booking past its expiry, with a started payment: the next sweep expires it."""
    booking, payment = booking_with_payment(provider)
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return booking, payment


def assert_consistent(prop_id):
    """No property held by two bookings; held exactly when a booking holds it; PAID means paid."""
    holding = list(Booking.objects.filter(property_id=prop_id, status__in=Booking.HOLDING_STATUSES))
    assert len(holding) <= 1, holding
    assert Property.objects.get(pk=prop_id).is_available is (not holding)
    for booking in Booking.objects.filter(property_id=prop_id, status=Booking.Status.PAID):
        assert [p.status for p in booking.payments.all()] == [Payment.Status.SUCCESS]
    return holding


@pytest.mark.parametrize("round_", range(8))
def test_success_racing_the_expiry_and_a_new_booking_ends_consistent(round_):
    booking, payment = overdue_booking_with_payment()
    event = stored_event(payment, "SUCCESS")
    newcomer = UserFactory()

    def after(seconds, function):
        def run():
            time.sleep(seconds)
            return function()

        return run

    # The webhook later and later over the rounds, so that every order of the three shows up.
    results = run_at_once(
        [
            after(round_ * 0.01, lambda: apply_webhook_event(event.pk)),
            expire_stale_bookings,
            after(0.005, lambda: create_booking(user=newcomer, property_id=booking.property_id)),
        ]
    )

    applied, _, created = results
    assert not isinstance(applied, Exception), applied
    if isinstance(created, Exception):
        assert isinstance(created, DomainError) and created.code == "property_unavailable"
    holding = assert_consistent(booking.property_id)
    booking, payment = Booking.objects.get(pk=booking.pk), Payment.objects.get(pk=payment.pk)
    assert WebhookEvent.objects.get(pk=event.pk).result == WebhookEvent.Result.APPLIED
    if booking.status == Booking.Status.PAID:
        # The payment won, or came after the expiry but before the newcomer.
        assert holding == [booking] and isinstance(created, Exception)
        assert payment.status == Payment.Status.SUCCESS and not Refund.objects.exists()
    else:
        # Expired, the newcomer took the property, then the money came: it goes back.
        assert booking.status == Booking.Status.EXPIRED and payment.status == Payment.Status.REFUND_PENDING
        assert Refund.objects.get().payment == payment
        assert holding[0].user == newcomer


@pytest.mark.parametrize("round_", range(5))
def test_failure_racing_the_expiry_releases_the_property_once(round_):
    booking, payment = overdue_booking_with_payment("BKASH")
    event = stored_event(payment, "FAILED")

    results = run_at_once([lambda: apply_webhook_event(event.pk), expire_stale_bookings])

    assert not any(isinstance(result, Exception) for result in results), results
    assert assert_consistent(booking.property_id) == []
    assert Booking.objects.get(pk=booking.pk).status in (Booking.Status.CANCELED, Booking.Status.EXPIRED)
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.FAILED


def test_a_webhook_applied_by_the_worker_while_the_sweep_runs(celery_worker, api_client):
    booking, payment = overdue_booking_with_payment()

    assert post_webhook(api_client, "STRIPE", webhook_body(payment, "SUCCESS")).status_code == 200

    def applied_while_sweeping() -> bool:
        if not WebhookEvent.objects.exclude(status__in=WebhookEvent.FINAL_STATUSES).exists():
            return True
        expire_stale_bookings()
        return False

    # No pause between sweeps: they keep racing the worker until it has applied the event.
    wait_until(applied_while_sweeping, 30, "the event to be applied", interval=0)

    # Whichever came first, the paid booking holds its property.
    assert assert_consistent(booking.property_id) == [Booking.objects.get(pk=booking.pk)]
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PAID


def test_one_event_applied_twice_at_once_applies_once():
    booking, payment = booking_with_payment()
    event = stored_event(payment, "FAILED")

    results = run_at_once([lambda: apply_webhook_event(event.pk)] * 4)

    assert not any(isinstance(result, Exception) for result in results), results
    event.refresh_from_db()
    assert event.result == WebhookEvent.Result.APPLIED
    assert event.outcome == "payment failed; booking canceled and property released"
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELED
    assert_consistent(booking.property_id)


def test_the_same_webhook_delivered_concurrently_is_stored_once(celery_worker):
    booking, payment = booking_with_payment("BKASH")
    raw = webhook_body(payment, "SUCCESS", event_id="evt_concurrent")
    clients = [client_for(UserFactory()) for _ in range(6)]

    responses = run_at_once([lambda client=client: post_webhook(client, "BKASH", raw) for client in clients])

    assert sorted(r.json()["detail"] for r in responses) == ["duplicate"] * 5 + ["ok"]
    assert wait_for_event("BKASH", "evt_concurrent").result == WebhookEvent.Result.APPLIED
    assert WebhookEvent.objects.count() == 1
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PAID


def test_the_sweeper_redispatches_an_event_whose_task_was_lost(celery_worker, settings):
    booking, payment = booking_with_payment()
    lost = stored_event(payment, "SUCCESS")
    other_booking, other_payment = booking_with_payment()
    just_received = stored_event(other_payment, "SUCCESS")
    WebhookEvent.objects.filter(pk=lost.pk).update(redispatch_at=timezone.now() - timedelta(seconds=1))

    assert redispatch_jobs() == 1
    # Marked dispatched: the next sweep does not queue it again.
    assert redispatch_jobs() == 0

    assert wait_for_event("STRIPE", lost.event_id).result == WebhookEvent.Result.APPLIED
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PAID
    # One still within the threshold is left to its own task.
    assert not WebhookEvent.objects.get(pk=just_received.pk).is_final


def test_a_success_for_a_transaction_a_newer_payment_replaced_is_refunded_and_the_booking_waits_on_the_newer():
    booking, first = booking_with_payment("STRIPE")
    newer = start_payment_of(booking, "STRIPE", attempt=2)
    event = stored_event(first, "SUCCESS")  # the transaction the customer started first

    apply_webhook_event(event.pk)

    event.refresh_from_db()
    assert event.result == WebhookEvent.Result.APPLIED
    first.refresh_from_db()
    assert first.status == Payment.Status.REFUND_PENDING and Refund.objects.get().payment == first
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PENDING
    assert Payment.objects.get(pk=newer.pk).status == Payment.Status.INITIATED


def test_a_failure_of_a_transaction_a_newer_payment_replaced_leaves_the_booking_waiting_on_the_newer():
    booking, first = booking_with_payment("STRIPE")
    start_payment_of(booking, "STRIPE", attempt=2)

    apply_webhook_event(stored_event(first, "FAILED").pk)

    assert Payment.objects.get(pk=first.pk).status == Payment.Status.FAILED
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PENDING


def test_the_sweeper_gives_up_on_an_event_whose_runs_keep_failing(settings, caplog, monkeypatch):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    booking, payment = booking_with_payment()
    event = stored_event(payment, "SUCCESS")
    long_ago = timezone.now() - timedelta(seconds=1)

    def crashing(provider, notice):
        raise RuntimeError("a bug in applying it")

    monkeypatch.setattr(webhooks, "_apply_notice", crashing)
    swept = []
    for _ in range(2):
        with pytest.raises(RuntimeError):
            apply_webhook_event(event.pk)  # as its task runs it, and dies
        WebhookEvent.objects.filter(pk=event.pk).update(redispatch_at=long_ago)
        swept.append(redispatch_jobs())

    assert swept == [1, 0]
    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEvent.Status.FAILED, 2)
    assert "Gave up after 2 attempts" in event.outcome
    assert f"WebhookEvent {event.pk}: Gave up after 2 attempts" in caplog.text
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PENDING


def test_the_sweeper_never_gives_up_on_an_event_no_worker_took(settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    booking, payment = booking_with_payment()
    event = stored_event(payment, "SUCCESS")
    long_ago = timezone.now() - timedelta(seconds=1)

    swept = []
    for _ in range(5):  # a long outage of the webhooks queue's workers
        WebhookEvent.objects.filter(pk=event.pk).update(redispatch_at=long_ago)
        swept.append(redispatch_jobs())

    assert swept == [1] * 5
    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEvent.Status.PENDING, 0)
    # Once a worker is back, the payment is applied.
    assert apply_webhook_event(event.pk).result == WebhookEvent.Result.APPLIED


def test_the_sweeper_leaves_processed_events_alone():
    booking, payment = booking_with_payment()
    event = stored_event(payment, "SUCCESS")
    apply_webhook_event(event.pk)
    WebhookEvent.objects.update(redispatch_at=timezone.now() - timedelta(days=1))

    assert redispatch_jobs() == 0
