"""Helpers shared by the payment and webhook tests (this module holds no tests)."""

import json
import threading
from datetime import timedelta

from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import create_booking, expire_booking
from domain.payments.models import Payment, PaymentHistory, WebhookEvent
from domain.payments.providers import simulated_ledger as ledger
from domain.payments.providers.registry import strategy_for
from domain.payments.providers.stripe import StripeSimulation
from domain.payments.services import StartedPayment, record_payment
from domain.payments.webhooks import receive_webhook
from tests.support.factories import BookingFactory, UserFactory
from tests.support.waiting import wait_until

WEBHOOK_URL = {"STRIPE": "/api/payments/webhook/stripe/", "BKASH": "/api/payments/webhook/bkash/"}


def booking_with_payment(provider: str = "STRIPE", **booking_fields):
    """A PENDING booking whose payment was started with `provider` (INITIATED)."""
    booking = BookingFactory(**booking_fields)
    return booking, start_payment_of(booking, provider)


def start_payment_of(booking, provider: str = "STRIPE", attempt: int = 1) -> Payment:
    """Start a payment of `booking` as the payment.initiate operation does: provider call, then record."""
    key = f"test-operation-{booking.pk}-{attempt}"
    answer = strategy_for(provider).start_payment(booking, {}, key)
    started = StartedPayment(answer=answer, operation_id=key)
    return record_payment(user=booking.user, booking_id=booking.pk, provider=provider, started=started)


def expire(booking) -> None:
    """Expire a PENDING booking the way the beat sweep does, freeing its property."""
    assert expire_booking(booking.pk, timezone.now() + timedelta(days=1))


def webhook_body(payment: Payment, status: str, **extra) -> bytes:
    return json.dumps(
        {"booking_id": payment.booking_id, "transaction_id": payment.transaction_id, "status": status, **extra}
    ).encode()


def stored_event(payment: Payment, status: str) -> WebhookEvent:
    """The event as the endpoint stores it, without dispatching its task."""
    raw = webhook_body(payment, status)
    event, created = receive_webhook(payment.provider, raw, strategy_for(payment.provider).sign_webhook(raw))
    assert created
    return event


def post_webhook(client, provider: str, raw_body: bytes, headers: dict | None = None):
    """POST a raw body; signed as the provider signs it unless `headers` are given."""
    if headers is None:
        headers = strategy_for(provider).sign_webhook(raw_body)
    return client.post(WEBHOOK_URL[provider], data=raw_body, content_type="application/json", headers=headers)


def wait_for_event(provider: str, event_id: str, timeout: float = 30) -> WebhookEvent:
    """The event once a worker has applied or rejected it."""
    return wait_until(
        lambda: WebhookEvent.objects.filter(provider=provider, event_id=event_id).first(),
        timeout,
        f"event {provider} {event_id} to be applied or rejected",
        met=lambda event: event is not None and event.is_final,
        interval=0.05,
    )


def given_up_event() -> tuple[Booking, WebhookEvent]:
    """A SUCCESS whose runs kept failing (a bug since fixed): the machinery gave it up."""
    booking, payment = booking_with_payment("STRIPE")
    event = stored_event(payment, "SUCCESS")
    WebhookEvent.objects.filter(pk=event.pk).update(
        status="FAILED", attempts=10, finished_at=timezone.now(), outcome="gave up: Gave up after 10 attempts."
    )
    return booking, event


def paid_at_provider(payment: Payment) -> None:
    """The customer finished paying at the (simulated) provider: what its webhook then reports."""
    ledger.record_outcome(payment.provider, payment.transaction_id, ledger.SUCCEEDED)


def late_success_for_a_taken_property(provider: str = "STRIPE") -> tuple[Payment, WebhookEvent]:
    """A payment whose SUCCESS arrives (stored, not yet applied) after its booking expired and someone else
    booked the property: money that cannot be kept."""
    booking, payment = booking_with_payment(provider)
    expire(booking)
    create_booking(user=UserFactory(), property_id=booking.property_id)
    paid_at_provider(payment)
    return payment, stored_event(payment, "SUCCESS")


def history_of(payment: Payment) -> list[tuple[str, str, str]]:
    """The payment's history as (entry, source, source id), oldest first."""
    return list(PaymentHistory.objects.filter(payment=payment).values_list("entry", "source", "source_id"))


class GatedStripe(StripeSimulation):
    """A Stripe whose start of a payment waits to be released (the `gated_stripe` fixture names it in
    PAYMENT_STRATEGIES): a slow network, for the test to look at the locks or end the booking meanwhile.
    It keeps what it answered: the payments it opened."""

    called = threading.Event()
    may_answer = threading.Event()
    answers: list = []

    @classmethod
    def reset(cls) -> None:
        cls.called.clear()
        cls.may_answer.clear()
        cls.answers.clear()

    def start_payment(self, booking, payload, idempotency_key):
        self.called.set()
        assert self.may_answer.wait(20), "the test never released the provider"
        answer = super().start_payment(booking, payload, idempotency_key)
        self.answers.append(answer)
        return answer
