"""The admin of payments, webhook events, bookings and operations: pages that load, search, and change nothing."""

import pytest
from django.urls import reverse

from domain.bookings.models import Booking
from domain.operations.kinds import BOOKING_CANCEL, BookingCancelArguments
from domain.operations.services import start_operation
from domain.payments.models import Refund, WebhookEvent
from domain.payments.webhooks import apply_webhook_event
from tests.support.payments import booking_with_payment, stored_event

pytestmark = pytest.mark.django_db


def test_payments_and_events_are_listed_searched_and_read_only(admin_client):
    _, payment = booking_with_payment("STRIPE")
    _, other = booking_with_payment("BKASH")
    event = stored_event(payment, "SUCCESS")
    apply_webhook_event(event.pk)

    payments = admin_client.get(reverse("admin:payments_payment_changelist"), {"q": payment.transaction_id})
    events = admin_client.get(
        reverse("admin:payments_webhookevent_changelist"), {"result": WebhookEvent.Result.APPLIED}
    )
    detail = admin_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))

    assert payments.status_code == events.status_code == detail.status_code == 200
    assert payment.transaction_id in payments.content.decode()
    assert other.transaction_id not in payments.content.decode()
    assert "payment succeeded; booking paid" in events.content.decode()
    assert admin_client.get(reverse("admin:payments_payment_add")).status_code == 403
    assert admin_client.get(reverse("admin:payments_webhookevent_add")).status_code == 403


def test_records_written_by_services_cannot_be_changed_or_deleted_in_the_admin(admin_client):
    booking, payment = booking_with_payment("STRIPE")
    event = stored_event(payment, "SUCCESS")
    operation, _ = start_operation(
        owner=booking.user, kind=BOOKING_CANCEL, arguments=BookingCancelArguments(booking_id=booking.pk)
    )
    refund = Refund.objects.create(payment=payment, amount=payment.amount, reason="test")

    for name, pk in [
        ("bookings_booking", booking.pk),
        ("operations_operation", operation.pk),
        ("payments_payment", payment.pk),
        ("payments_refund", refund.pk),
        ("payments_webhookevent", event.pk),
    ]:
        assert admin_client.get(reverse(f"admin:{name}_change", args=[pk])).status_code == 200, name
        assert admin_client.post(reverse(f"admin:{name}_delete", args=[pk]), {"post": "yes"}).status_code == 403, name
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 403, name
    assert WebhookEvent.objects.filter(pk=event.pk).exists()
    assert Booking.objects.filter(pk=booking.pk).exists()
