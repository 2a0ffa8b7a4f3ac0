"""Helpers shared by the payment and webhook tests (this module holds no tests)."""

import json
import threading
import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from domain.bookings.services import expire_booking
from domain.payments.models import Payment, WebhookEvent
from domain.payments.providers.registry import strategy_for
from domain.payments.services import record_payment
from tests.factories import BookingFactory

WEBHOOK_URL = {"STRIPE": "/api/payments/webhook/stripe/", "BKASH": "/api/payments/webhook/bkash/"}


def booking_with_payment(provider: str = "STRIPE", **booking_fields):
    """A PENDING booking whose payment was started with `provider` (INITIATED)."""
    booking = BookingFactory(**booking_fields)
    started = strategy_for(provider).start_payment(booking, {}, "test-idempotency-key")
    payment = record_payment(user=booking.user, booking_id=booking.pk, provider=provider, started=started)
    return booking, payment


def expire(booking) -> None:
    """Expire a PENDING booking the way the beat sweep does, freeing its property."""
    assert expire_booking(booking.pk, timezone.now() + timedelta(days=1))


def webhook_body(payment: Payment, status: str, **extra) -> bytes:
    return json.dumps(
        {"booking_id": payment.booking_id, "transaction_id": payment.transaction_id, "status": status, **extra}
    ).encode()


def post_webhook(client, provider: str, raw_body: bytes, headers: dict | None = None):
    """POST a raw body; signed as the provider signs it unless `headers` are given."""
    if headers is None:
        headers = strategy_for(provider).sign_webhook(raw_body)
    return client.post(WEBHOOK_URL[provider], data=raw_body, content_type="application/json", headers=headers)


def wait_for_event(provider: str, event_id: str, timeout: float = 30) -> WebhookEvent:
    """The event once a worker has applied or rejected it."""
    deadline = time.monotonic() + timeout
    while True:
        event = WebhookEvent.objects.filter(provider=provider, event_id=event_id).first()
        if event is not None and event.state != WebhookEvent.State.RECEIVED:
            return event
        if time.monotonic() > deadline:
            raise AssertionError(f"event {provider} {event_id} not applied after {timeout}s: {event}")
        time.sleep(0.05)


def run_at_once(functions) -> list:
    """Run each function in its own thread (its own connection) from one barrier; results or errors."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
