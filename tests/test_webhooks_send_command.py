"""manage.py send_webhook signs and delivers a webhook to a running server."""

import io

import pytest
from django.core.management import CommandError, call_command

from domain.bookings.models import Booking
from domain.payments.models import WebhookEvent
from domain.properties.models import Property
from tests.support.factories import BookingFactory
from tests.support.payments import booking_with_payment, wait_for_event

pytestmark = pytest.mark.django_db(transaction=True)


def send_webhook(*args) -> str:
    out = io.StringIO()
    call_command("send_webhook", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("provider", ["STRIPE", "BKASH"])
def test_a_success_sent_to_the_live_server_pays_the_booking(celery_worker, live_server, provider):
    booking, payment = booking_with_payment(provider)

    output = send_webhook(
        "--provider", provider, "--booking", str(booking.pk), "--status", "SUCCESS", "--url", live_server.url
    )

    assert f"/api/payments/webhook/{provider.lower()}/" in output
    assert '200 {"detail":"ok"}' in output
    wait_for_event(provider, f"{payment.transaction_id}:SUCCESS")
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PAID


def test_a_failure_with_an_event_id_cancels_and_a_resend_is_a_duplicate(celery_worker, live_server):
    booking, _ = booking_with_payment("STRIPE")
    args = ["--provider", "STRIPE", "--booking", str(booking.pk), "--status", "FAILED", "--event-id", "evt_demo"]

    send_webhook(*args, "--url", live_server.url)
    wait_for_event("STRIPE", "evt_demo")
    again = send_webhook(*args, "--url", live_server.url)

    assert '200 {"detail":"duplicate"}' in again
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELED
    assert Property.objects.get(pk=booking.property_id).is_available is True


def test_another_transaction_id_is_delivered_and_rejected(celery_worker, live_server):
    booking, _ = booking_with_payment("BKASH")

    send_webhook(
        "--provider",
        "BKASH",
        "--booking",
        str(booking.pk),
        "--status",
        "SUCCESS",
        "--transaction-id",
        "TR0011NOTTHISONE",
        "--url",
        live_server.url,
    )

    assert wait_for_event("BKASH", "TR0011NOTTHISONE:SUCCESS").result == WebhookEvent.Result.REJECTED
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PENDING


def test_a_refusal_is_printed_and_fails_the_command(live_server):
    booking, _ = booking_with_payment("STRIPE")
    out = io.StringIO()

    with pytest.raises(CommandError, match="refused the webhook \\(400\\)"):
        # An event id with a control character is a malformed body.
        call_command(
            "send_webhook",
            "--provider",
            "STRIPE",
            "--booking",
            str(booking.pk),
            "--status",
            "SUCCESS",
            "--url",
            live_server.url,
            "--event-id",
            "\u0007bell",
            stdout=out,
        )

    assert "400" in out.getvalue()
    assert not WebhookEvent.objects.exists()


def test_a_booking_without_a_payment_needs_a_transaction_id():
    booking = BookingFactory()

    with pytest.raises(CommandError, match="has no payment"):
        send_webhook("--provider", "STRIPE", "--booking", str(booking.pk), "--status", "SUCCESS")


def test_a_provider_that_is_not_the_payments_is_refused_before_sending():
    booking, _ = booking_with_payment("STRIPE")

    with pytest.raises(CommandError, match="payment is with STRIPE, not BKASH"):
        send_webhook("--provider", "BKASH", "--booking", str(booking.pk), "--status", "SUCCESS")
    assert not WebhookEvent.objects.exists()


def test_an_unreachable_server_is_reported():
    booking, _ = booking_with_payment("STRIPE")

    with pytest.raises(CommandError, match="Could not reach"):
        send_webhook(
            "--provider", "STRIPE", "--booking", str(booking.pk), "--status", "SUCCESS", "--url", "http://127.0.0.1:9"
        )
