"""The webhook endpoints through HTTP, applied by a real worker."""

import json
import time

import pytest
import stripe
from django.conf import settings

from domain.bookings.models import Booking
from domain.payments.models import Payment, Refund, WebhookEvent
from domain.payments.providers.registry import strategy_for
from domain.payments.signatures import bkash_signature, stripe_signature_header
from domain.properties.models import Property
from tests.support.factories import BookingFactory, UserFactory
from tests.support.payments import (
    WEBHOOK_URL,
    booking_with_payment,
    expire,
    post_webhook,
    wait_for_event,
    webhook_body,
)

pytestmark = pytest.mark.django_db(transaction=True)


def deliver(client, payment, status, **extra) -> WebhookEvent:
    """Send a signed webhook for the payment and wait for the worker to apply it."""
    response = post_webhook(client, payment.provider, webhook_body(payment, status, **extra))
    assert response.status_code == 200, response.content
    assert response.json() == {"detail": "ok"}
    return wait_for_event(payment.provider, extra.get("event_id", f"{payment.transaction_id}:{status}"))


def reloaded(booking, payment):
    return (
        Booking.objects.get(pk=booking.pk),
        Payment.objects.get(pk=payment.pk),
        Property.objects.get(pk=booking.property_id),
    )


@pytest.mark.parametrize("provider", ["STRIPE", "BKASH"])
def test_success_pays_the_booking(celery_worker, api_client, provider):
    booking, payment = booking_with_payment(provider)

    event = deliver(api_client, payment, "SUCCESS", event_id="evt_1")

    booking, payment, prop = reloaded(booking, payment)
    assert (booking.status, payment.status, payment.refunded_amount) == ("PAID", "SUCCESS", 0)
    assert prop.is_available is False
    assert event.result == "APPLIED" and event.finished_at is not None
    assert event.payload == {
        "event_id": "evt_1",
        "booking_id": booking.pk,
        "transaction_id": payment.transaction_id,
        "status": "SUCCESS",
    }


@pytest.mark.parametrize("provider", ["STRIPE", "BKASH"])
def test_failure_cancels_the_booking_and_frees_the_property(celery_worker, api_client, provider):
    booking, payment = booking_with_payment(provider)

    event = deliver(api_client, payment, "FAILED")

    booking, payment, prop = reloaded(booking, payment)
    assert (booking.status, payment.status) == ("CANCELED", "FAILED")
    assert prop.is_available is True
    assert event.result == "APPLIED"


def test_a_header_made_by_the_stripe_package_is_accepted(celery_worker, api_client):
    booking, payment = booking_with_payment("STRIPE")
    raw = webhook_body(payment, "SUCCESS", event_id="evt_from_stripe_lib")
    header = stripe.WebhookSignature.generate_signature_header(raw.decode(), settings.STRIPE_WEBHOOK_SECRET)

    response = post_webhook(api_client, "STRIPE", raw, {"Stripe-Signature": header})

    assert response.status_code == 200
    wait_for_event("STRIPE", "evt_from_stripe_lib")
    assert Booking.objects.get(pk=booking.pk).status == "PAID"


def test_a_replayed_event_applies_once(celery_worker, api_client):
    booking, payment = booking_with_payment("BKASH")
    raw = webhook_body(payment, "SUCCESS", event_id="evt_replayed")

    first = post_webhook(api_client, "BKASH", raw)
    wait_for_event("BKASH", "evt_replayed")
    replay = post_webhook(api_client, "BKASH", raw)

    assert first.json() == {"detail": "ok"}
    assert replay.status_code == 200 and replay.json() == {"detail": "duplicate"}
    assert WebhookEvent.objects.count() == 1


def test_without_an_event_id_a_redelivery_is_still_a_duplicate(celery_worker, api_client):
    booking, payment = booking_with_payment("STRIPE")

    deliver(api_client, payment, "SUCCESS")
    again = post_webhook(api_client, "STRIPE", webhook_body(payment, "SUCCESS"))

    assert again.json() == {"detail": "duplicate"}
    assert WebhookEvent.objects.get().event_id == f"{payment.transaction_id}:SUCCESS"
    # An event_id of null is no event_id.
    with_null = post_webhook(api_client, "STRIPE", webhook_body(payment, "SUCCESS", event_id=None))
    assert with_null.json() == {"detail": "duplicate"}


def test_failed_after_success_changes_nothing(celery_worker, api_client):
    booking, payment = booking_with_payment("STRIPE")
    deliver(api_client, payment, "SUCCESS", event_id="evt_ok")

    late = deliver(api_client, payment, "FAILED", event_id="evt_late_failure")

    booking, payment, prop = reloaded(booking, payment)
    assert (booking.status, payment.status, prop.is_available) == ("PAID", "SUCCESS", False)
    assert (late.result, late.outcome) == ("APPLIED", "ignored: payment already succeeded")


def test_success_after_failure_on_a_free_property_pays_the_booking(celery_worker, api_client):
    # A failed attempt, then the customer pays the same intent with another card.
    booking, payment = booking_with_payment("STRIPE")
    deliver(api_client, payment, "FAILED")

    deliver(api_client, payment, "SUCCESS")

    booking, payment, prop = reloaded(booking, payment)
    assert (booking.status, payment.status, prop.is_available) == ("PAID", "SUCCESS", False)


@pytest.mark.parametrize("wrong", ["transaction", "provider", "booking"])
def test_a_transaction_that_is_not_the_payments_is_rejected(celery_worker, api_client, wrong):
    booking, payment = booking_with_payment("STRIPE")
    other_booking, _ = booking_with_payment("STRIPE")
    body = {
        "booking_id": booking.pk,
        "transaction_id": payment.transaction_id,
        "status": "SUCCESS",
        "event_id": "evt_x",
    }
    provider = "STRIPE"
    if wrong == "transaction":
        body["transaction_id"] = "pi_not_this_one"
    elif wrong == "provider":
        provider = "BKASH"
    else:
        body["booking_id"] = other_booking.pk

    assert post_webhook(api_client, provider, json.dumps(body).encode()).status_code == 200
    event = wait_for_event(provider, "evt_x")

    assert event.result == "REJECTED"
    booking, payment, prop = reloaded(booking, payment)
    assert (booking.status, payment.status, prop.is_available) == ("PENDING", "INITIATED", False)
    assert Booking.objects.get(pk=other_booking.pk).status == "PENDING"


def test_an_event_for_an_unknown_booking_is_rejected(celery_worker, api_client):
    raw = json.dumps({"booking_id": 987654, "transaction_id": "pi_x", "status": "SUCCESS"}).encode()

    assert post_webhook(api_client, "STRIPE", raw).status_code == 200

    assert wait_for_event("STRIPE", "pi_x:SUCCESS").result == "REJECTED"


def test_success_after_expiry_retakes_a_free_property(celery_worker, api_client):
    booking, payment = booking_with_payment("BKASH")
    expire(booking)
    assert Property.objects.get(pk=booking.property_id).is_available is True

    event = deliver(api_client, payment, "SUCCESS")

    booking, payment, prop = reloaded(booking, payment)
    assert (booking.status, payment.status) == ("PAID", "SUCCESS")
    assert not Refund.objects.exists()
    assert prop.is_available is False
    assert "holds the property again" in event.outcome


def test_success_after_expiry_when_another_booking_holds_the_property_is_refunded(celery_worker, api_client):
    booking, payment = booking_with_payment("STRIPE")
    expire(booking)
    newcomer = BookingFactory(property=booking.property, user=UserFactory())
    Property.objects.filter(pk=booking.property_id).update(is_available=False)

    event = deliver(api_client, payment, "SUCCESS")

    booking, payment, prop = reloaded(booking, payment)
    # REFUND_PENDING until a worker on the payments queue (not this test's) runs the refund.
    assert (booking.status, payment.status) == ("EXPIRED", "REFUND_PENDING")
    assert Refund.objects.get().payment == payment
    assert "refund requested" in event.outcome
    assert Booking.objects.get(pk=newcomer.pk).status == "PENDING"
    assert prop.is_available is False


def test_failed_after_expiry_only_marks_the_payment(celery_worker, api_client):
    booking, payment = booking_with_payment("STRIPE")
    expire(booking)

    deliver(api_client, payment, "FAILED")

    booking, payment, prop = reloaded(booking, payment)
    assert (booking.status, payment.status, prop.is_available) == ("EXPIRED", "FAILED", True)


# --- Refused before anything is stored (no worker needed: nothing is dispatched) ---------------


def refused(response, expected_detail=None):
    assert response.status_code == 400, response.content
    if expected_detail is not None:
        assert expected_detail in response.json()["detail"]
    assert not WebhookEvent.objects.exists()
    return True


@pytest.fixture
def pending():
    booking, payment = booking_with_payment("STRIPE")
    yield booking, payment
    # Whatever was refused changed nothing.
    booking, payment, prop = reloaded(booking, payment)
    assert (booking.status, payment.status, prop.is_available) == ("PENDING", "INITIATED", False)


@pytest.mark.django_db
def test_an_unsigned_webhook_is_refused(api_client, pending):
    _, payment = pending
    assert refused(post_webhook(api_client, "STRIPE", webhook_body(payment, "SUCCESS"), headers={}), "Missing")
    assert refused(post_webhook(api_client, "BKASH", webhook_body(payment, "SUCCESS"), headers={}), "Missing")


@pytest.mark.django_db
def test_a_forged_webhook_is_refused(api_client, pending):
    _, payment = pending
    raw = webhook_body(payment, "SUCCESS")
    forged = f"t={int(time.time())},v1={'ab' * 32}"

    assert refused(post_webhook(api_client, "STRIPE", raw, {"Stripe-Signature": forged}), "No signature matches")


@pytest.mark.django_db
def test_a_body_changed_after_signing_is_refused(api_client, pending):
    _, payment = pending
    signed_for_failure = strategy_for("STRIPE").sign_webhook(webhook_body(payment, "FAILED"))

    assert refused(post_webhook(api_client, "STRIPE", webhook_body(payment, "SUCCESS"), signed_for_failure))


@pytest.mark.django_db
def test_a_webhook_signed_with_another_secret_is_refused(api_client, pending):
    _, payment = pending
    raw = webhook_body(payment, "SUCCESS")
    stripe_header = stripe_signature_header(raw, "whsec_not_ours", int(time.time()))

    assert refused(post_webhook(api_client, "STRIPE", raw, {"Stripe-Signature": stripe_header}))
    assert refused(post_webhook(api_client, "BKASH", raw, {"X-BKash-Signature": bkash_signature(raw, "not-ours")}))
    # Each provider's secret is its own.
    bkash_signed = {"X-BKash-Signature": bkash_signature(raw, settings.STRIPE_WEBHOOK_SECRET)}
    assert refused(post_webhook(api_client, "BKASH", raw, bkash_signed))


@pytest.mark.django_db
def test_a_stale_webhook_is_refused(api_client, pending):
    _, payment = pending
    raw = webhook_body(payment, "SUCCESS")
    captured_long_ago = stripe_signature_header(raw, settings.STRIPE_WEBHOOK_SECRET, int(time.time()) - 301)

    assert refused(post_webhook(api_client, "STRIPE", raw, {"Stripe-Signature": captured_long_ago}), "tolerance")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'"SUCCESS"',
        b'{"transaction_id": "pi_1", "status": "SUCCESS"}',
        b'{"booking_id": "12", "transaction_id": "pi_1", "status": "SUCCESS"}',
        b'{"booking_id": true, "transaction_id": "pi_1", "status": "SUCCESS"}',
        b'{"booking_id": 12.0, "transaction_id": "pi_1", "status": "SUCCESS"}',
        b'{"booking_id": 0, "transaction_id": "pi_1", "status": "SUCCESS"}',
        b'{"booking_id": 99999999999999999999, "transaction_id": "pi_1", "status": "SUCCESS"}',
        b'{"booking_id": NaN, "transaction_id": "pi_1", "status": "SUCCESS"}',
        b'{"booking_id": 12, "status": "SUCCESS"}',
        b'{"booking_id": 12, "transaction_id": "", "status": "SUCCESS"}',
        b'{"booking_id": 12, "transaction_id": 5, "status": "SUCCESS"}',
        b'{"booking_id": 12, "transaction_id": "pi_\\u0000", "status": "SUCCESS"}',
        b'{"booking_id": 12, "transaction_id": "pi_\\ud800", "status": "SUCCESS"}',
        b'{"booking_id": 12, "transaction_id": "' + b"x" * 129 + b'", "status": "SUCCESS"}',
        b'{"booking_id": 12, "transaction_id": "pi_1"}',
        b'{"booking_id": 12, "transaction_id": "pi_1", "status": "PENDING"}',
        b'{"booking_id": 12, "transaction_id": "pi_1", "status": "success"}',
        b'{"booking_id": 12, "transaction_id": "pi_1", "status": "SUCCESS", "event_id": 7}',
        b'{"booking_id": 12, "transaction_id": "pi_1", "status": "SUCCESS", "event_id": ""}',
        b"\xff\xfe garbage",
        b"[" * 100000 + b"]" * 100000,
    ],
)
@pytest.mark.parametrize("provider", ["STRIPE", "BKASH"])
@pytest.mark.django_db
def test_a_malformed_body_is_refused_even_when_signed(api_client, raw, provider):
    response = post_webhook(api_client, provider, raw)

    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_the_webhooks_take_no_token_and_only_post(api_client):
    assert api_client.get(WEBHOOK_URL["STRIPE"]).status_code == 405
    response = post_webhook(
        api_client, "STRIPE", b"{}", {"Authorization": "Bearer not-a-token", "Stripe-Signature": ""}
    )
    # The signature is the authentication: a bad bearer token is not even looked at.
    assert response.status_code == 400
