"""Each payment's append-only history: every step with its source, kept whole when operations and
webhook events are purged, shown in the payment's admin page."""

import pytest
from django.urls import reverse

from domain.bookings.services import create_booking
from domain.operations.kinds import PAYMENT_INITIATE, PaymentInitiateArguments
from domain.operations.models import Operation
from domain.operations.services import execute_operation, start_operation
from domain.payments.models import Payment, PaymentHistory, Refund, WebhookEvent
from domain.payments.providers.registry import strategy_for
from domain.payments.refunds import run_refund
from domain.payments.webhooks import apply_webhook_event, receive_webhook
from tests.support.factories import BookingFactory, UserFactory
from tests.support.payments import expire, history_of, paid_at_provider, webhook_body

pytestmark = pytest.mark.django_db(transaction=True)


def deliver(payment: Payment, status: str, event_id: str) -> None:
    raw = webhook_body(payment, status, event_id=event_id)
    event, _ = receive_webhook(payment.provider, raw, strategy_for(payment.provider).sign_webhook(raw))
    apply_webhook_event(event.pk)


def test_a_payments_life_is_recorded_step_by_step_with_its_sources_and_outlives_the_purge(admin_client):
    booking = BookingFactory()
    operation, _ = start_operation(
        owner=booking.user,
        kind=PAYMENT_INITIATE,
        arguments=PaymentInitiateArguments(booking_id=booking.pk, provider="STRIPE", payload={}),
    )
    payment = Payment.objects.get(pk=execute_operation(operation.pk).result_id)
    expire(booking)
    create_booking(user=UserFactory(), property_id=booking.property_id)
    paid_at_provider(payment)
    deliver(payment, "SUCCESS", "evt_paid_late")
    refund = Refund.objects.get(payment=payment)
    run_refund(refund.pk)
    deliver(payment, "FAILED", "evt_late_failure")

    expected = [
        ("STARTED", "operation", str(operation.pk)),
        ("PROVIDER_ANSWERED", "operation", str(operation.pk)),
        ("CANCEL_REQUESTED", "system", ""),
        ("REFUND_REQUESTED", "webhook_event", "evt_paid_late"),
        ("WEBHOOK_APPLIED", "webhook_event", "evt_paid_late"),
        ("REFUNDED", "refund", str(refund.pk)),
        ("WEBHOOK_APPLIED", "webhook_event", "evt_late_failure"),
    ]
    assert history_of(payment) == expected
    statuses = list(payment.history.values_list("status", flat=True))
    assert statuses == [
        "INITIATED",
        "INITIATED",
        "INITIATED",
        "REFUND_PENDING",
        "REFUND_PENDING",
        "REFUNDED",
        "REFUNDED",
    ]

    # The retention purge deletes operations, events and refunds: the history keeps its facts.
    Operation.objects.all().delete()
    WebhookEvent.objects.all().delete()
    Refund.objects.all().delete()
    assert history_of(payment) == expected

    page = admin_client.get(reverse("admin:payments_payment_change", args=[payment.pk])).content.decode()
    assert "evt_paid_late" in page and "REFUND_REQUESTED" in page and "the provider refunded it" in page


def test_a_history_entry_is_never_changed():
    booking = BookingFactory()
    entry = PaymentHistory.objects.create(
        payment=Payment.objects.create(
            booking=booking, provider="STRIPE", transaction_id="pi_1", amount=booking.total_amount
        ),
        entry=PaymentHistory.Entry.STARTED,
        source=PaymentHistory.Source.SYSTEM,
        status="INITIATED",
    )
    entry.detail = "rewritten"

    with pytest.raises(ValueError, match="append-only"):
        entry.save()
