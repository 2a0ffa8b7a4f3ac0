"""POST /api/payments/initiate/: validation at once, then the payment.initiate operation on a real worker."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking
from domain.operations.models import Operation
from domain.operations.services import execute_operation
from domain.payments.models import Payment
from domain.payments.providers.registry import strategy_for
from domain.properties.models import Property
from tests.support.clients import client_for, wait_for_operation
from tests.support.factories import BookingFactory, PropertyFactory
from tests.support.payments import booking_with_payment, expire

pytestmark = pytest.mark.django_db

INITIATE = "/api/payments/initiate/"


def without_times(raw_response: dict) -> dict:
    return {key: value for key, value in raw_response.items() if key not in ("created", "paymentCreateTime")}


def initiate(client, booking_id, provider, **extra):
    response = client.post(INITIATE, {"booking_id": booking_id, "provider": provider, **extra})
    assert response.status_code == 202, response.content
    assert response.json()["kind"] == "payment.initiate"
    return wait_for_operation(client, response["Location"])


@pytest.mark.django_db(transaction=True)
def test_stripe_payment_starts_with_a_payment_intent(celery_worker):
    booking = BookingFactory(property=PropertyFactory(price=Decimal("1250000.50"), is_available=False))
    client = client_for(booking.user)

    done = initiate(client, booking.pk, "STRIPE", payload={"receipt_email": "buyer@example.com"})

    assert done["status"] == "SUCCEEDED", done
    payment = done["result"]
    assert set(payment) == {
        "id",
        "booking",
        "provider",
        "status",
        "transaction_id",
        "amount",
        "refunded_amount",
        "raw_response",
        "created_at",
        "updated_at",
    }
    assert payment["refunded_amount"] == "0.00"
    assert (payment["booking"], payment["provider"], payment["status"]) == (booking.pk, "STRIPE", "INITIATED")
    assert payment["amount"] == "1250000.50"
    intent = payment["raw_response"]
    assert payment["transaction_id"] == intent["id"] and intent["id"].startswith("pi_")
    assert intent["object"] == "payment_intent" and intent["status"] == "requires_payment_method"
    # Stripe counts in the smallest unit of the currency, as an integer.
    assert intent["amount"] == 125000050 and intent["currency"] == "bdt"
    assert intent["client_secret"].startswith(f"{intent['id']}_secret_")
    assert intent["receipt_email"] == "buyer@example.com"
    # The operation id went to the provider as the idempotency key.
    assert intent["metadata"] == {"booking_id": str(booking.pk), "idempotency_key": done["id"]}
    assert Payment.objects.get().transaction_id == intent["id"]


@pytest.mark.django_db(transaction=True)
def test_bkash_payment_starts_with_a_checkout_url(celery_worker):
    booking = BookingFactory()
    client = client_for(booking.user)

    done = initiate(client, booking.pk, "BKASH")

    assert done["status"] == "SUCCEEDED", done
    payment = done["result"]
    answer = payment["raw_response"]
    assert (payment["provider"], payment["status"], payment["amount"]) == ("BKASH", "INITIATED", "1250000.00")
    assert payment["transaction_id"] == answer["paymentID"] and answer["paymentID"].startswith("TR0011")
    assert answer["paymentID"] in answer["bkashURL"] and answer["bkashURL"].startswith("https://")
    # bKash writes the amount as a decimal string in taka.
    assert (answer["amount"], answer["currency"], answer["transactionStatus"]) == ("1250000.00", "BDT", "Initiated")
    assert answer["merchantInvoiceNumber"] == done["id"]


@pytest.mark.django_db(transaction=True)
def test_initiating_again_keeps_the_first_transaction_and_the_booking_shows_the_newest(celery_worker):
    booking = BookingFactory()
    client = client_for(booking.user)

    first = initiate(client, booking.pk, "STRIPE")["result"]
    second = initiate(client, booking.pk, "BKASH")["result"]

    assert second["id"] != first["id"]
    assert second["provider"] == "BKASH" and second["transaction_id"] != first["transaction_id"]
    assert Payment.objects.get(pk=first["id"]).transaction_id == first["transaction_id"]
    shown = client.get(f"/api/bookings/{booking.pk}/").json()["payment"]
    assert shown == {
        "id": second["id"],
        "provider": "BKASH",
        "status": "INITIATED",
        "amount": str(booking.total_amount),
        "refunded_amount": "0.00",
        "transaction_id": second["transaction_id"],
    }


@pytest.mark.django_db(transaction=True)
def test_transaction_ids_are_unique(celery_worker):
    ids = set()
    for provider in ["STRIPE", "BKASH"] * 3:
        booking = BookingFactory()
        ids.add(initiate(client_for(booking.user), booking.pk, provider)["result"]["transaction_id"])

    assert len(ids) == 6


@pytest.mark.parametrize("provider", ["STRIPE", "BKASH"])
def test_a_repeated_request_gets_the_providers_first_answer(db, provider):
    # As a real provider dedupes on the idempotency key (the operation id):
    # a redelivered task is answered with the payment it already started.
    booking = BookingFactory()
    strategy = strategy_for(provider)

    first = strategy.start_payment(booking, {}, "operation-1")
    again = strategy.start_payment(booking, {}, "operation-1")
    other = strategy.start_payment(booking, {}, "operation-2")

    assert again.transaction_id == first.transaction_id
    assert without_times(again.raw_response) == without_times(first.raw_response)
    assert other.transaction_id != first.transaction_id


@pytest.mark.django_db(transaction=True)
def test_a_paid_booking_is_refused(celery_worker):
    booking = BookingFactory(status=Booking.Status.PAID)

    done = initiate(client_for(booking.user), booking.pk, "STRIPE")

    assert done["status"] == "FAILED"
    assert done["error"]["code"] == "booking_already_paid"
    assert not Payment.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("status", [Booking.Status.CANCELED, Booking.Status.EXPIRED])
def test_an_ended_booking_is_not_payable(celery_worker, status):
    booking = BookingFactory(status=status, property=PropertyFactory())

    done = initiate(client_for(booking.user), booking.pk, "BKASH")

    assert done["status"] == "FAILED"
    assert done["error"]["code"] == "booking_not_payable"
    assert not Payment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_expired_booking_with_a_started_payment_keeps_it_untouched(celery_worker):
    booking, payment = booking_with_payment("STRIPE")
    expire(booking)

    done = initiate(client_for(booking.user), booking.pk, "STRIPE")

    assert done["error"]["code"] == "booking_not_payable"
    assert Payment.objects.get().transaction_id == payment.transaction_id


@pytest.mark.django_db(transaction=True)
def test_an_option_the_provider_does_not_know_is_a_provider_error(celery_worker):
    booking = BookingFactory()

    done = initiate(client_for(booking.user), booking.pk, "STRIPE", payload={"colour": "blue"})

    assert done["status"] == "FAILED"
    assert done["error"] == {"code": "provider_error", "detail": "Received unknown parameter: colour"}
    assert not Payment.objects.exists()


def assert_refused_at_once(response, field: str) -> None:
    """A 400 naming `field`, and no operation started."""
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Operation.objects.exists()


@pytest.mark.parametrize(
    "someone_elses, provider",
    [pytest.param(True, "STRIPE", id="another-users-booking"), pytest.param(False, "BKASH", id="no-such-booking")],
)
def test_a_booking_that_is_not_the_users_is_not_found(auth_client, someone_elses, provider):
    # The same answer for both: the existence of someone else's booking is not revealed.
    booking_id = BookingFactory().pk if someone_elses else 424242

    response = auth_client.post(INITIATE, {"booking_id": booking_id, "provider": provider})

    assert_refused_at_once(response, "booking_id")
    assert response.json() == {"booking_id": ["Booking not found."]}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"provider": "STRIPE"}, id="no-booking-id"),
        pytest.param({"booking_id": "abc", "provider": "STRIPE"}, id="booking-id-not-a-number"),
        pytest.param({"booking_id": 424242, "provider": "STRIPE"}, id="no-such-booking"),
        pytest.param({"booking_id": 99999999999999999999, "provider": "STRIPE"}, id="booking-id-too-large"),
        pytest.param({"booking_id": 0, "provider": "STRIPE"}, id="booking-id-zero"),
    ],
)
def test_a_bad_booking_id_is_refused_at_once(auth_client, body):
    assert_refused_at_once(auth_client.post(INITIATE, body), "booking_id")


@pytest.mark.parametrize(
    "fields, field",
    [
        pytest.param({}, "provider", id="no-provider"),
        pytest.param({"provider": "PAYPAL"}, "provider", id="unknown-provider"),
        pytest.param({"provider": "stripe"}, "provider", id="lower-case-provider"),
        pytest.param({"provider": "STRIPE", "payload": [1]}, "payload", id="payload-a-list"),
        pytest.param({"provider": "STRIPE", "payload": {"receipt_email": {"a": "b"}}}, "payload", id="payload-nested"),
        pytest.param({"provider": "STRIPE", "payload": {"description": "a\x00b"}}, "payload", id="payload-with-a-nul"),
        pytest.param(
            {"provider": "STRIPE", "payload": {f"option{i}": "x" for i in range(21)}},
            "payload",
            id="payload-with-too-many-options",
        ),
        pytest.param({"provider": "STRIPE", "payload": None}, "payload", id="payload-null"),
    ],
)
def test_a_bad_provider_or_payload_for_the_users_own_booking_is_refused_at_once(user, auth_client, fields, field):
    booking = BookingFactory(user=user)

    assert_refused_at_once(auth_client.post(INITIATE, {"booking_id": booking.pk, **fields}), field)


def test_initiate_needs_a_token(api_client):
    booking = BookingFactory()

    assert api_client.post(INITIATE, {"booking_id": booking.pk, "provider": "STRIPE"}).status_code == 401


def test_an_idempotency_key_replay_returns_the_same_operation(user, auth_client, django_capture_on_commit_callbacks):
    booking = BookingFactory(user=user)
    body = {"booking_id": booking.pk, "provider": "STRIPE"}

    with django_capture_on_commit_callbacks() as dispatched:
        first = auth_client.post(INITIATE, body, headers={"Idempotency-Key": "pay-once"})
        again = auth_client.post(INITIATE, body, headers={"Idempotency-Key": "pay-once"})
        other = auth_client.post(INITIATE, {**body, "provider": "BKASH"}, headers={"Idempotency-Key": "pay-once"})

    assert first.json()["id"] == again.json()["id"]
    assert other.status_code == 422
    assert len(dispatched) == 1


def test_a_second_run_of_the_operation_changes_nothing(user, auth_client):
    booking = BookingFactory(user=user)
    accepted = auth_client.post(INITIATE, {"booking_id": booking.pk, "provider": "STRIPE"}).json()

    first = execute_operation(accepted["id"])
    second = execute_operation(accepted["id"])

    assert first.status == Operation.Status.SUCCEEDED
    assert second is None
    payment = Payment.objects.get()
    assert first.result_id == payment.pk


@pytest.mark.django_db(transaction=True)
def test_no_lock_is_held_while_the_provider_is_called_and_the_state_is_checked_again(celery_worker, gated_stripe):
    booking = BookingFactory()
    client = client_for(booking.user)
    accepted = client.post(INITIATE, {"booking_id": booking.pk, "provider": "STRIPE"})
    assert gated_stripe.called.wait(20)

    try:
        # While the provider is busy, the booking and its property are free to lock...
        with transaction.atomic():
            Property.objects.select_for_update(nowait=True).get(pk=booking.property_id)
            Booking.objects.select_for_update(nowait=True).get(pk=booking.pk)
        # ...so the customer can cancel meanwhile, without waiting for the provider.
        cancel_booking(user=booking.user, booking_id=booking.pk)
    except DatabaseError as error:
        pytest.fail(f"a lock was held during the provider call: {error}")
    finally:
        gated_stripe.may_answer.set()

    done = wait_for_operation(client, accepted["Location"])
    # The task saw the cancel when it came back to record the payment under the lock.
    assert done["status"] == "FAILED"
    assert done["error"]["code"] == "booking_not_payable"
    assert not Payment.objects.exists()
    assert Property.objects.get(pk=booking.property_id).is_available is True
