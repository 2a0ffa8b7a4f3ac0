"""Idempotency-Key on the POSTs that start operations."""

import pytest

from domain.operations.models import Operation
from tests.support.clients import BOOKING_CREATE_URL, client_for
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory
from tests.support.payments import expire

pytestmark = pytest.mark.django_db


def test_a_replay_returns_the_same_operation_and_dispatches_once(auth_client, django_capture_on_commit_callbacks):
    prop = PropertyFactory()
    headers = {"HTTP_IDEMPOTENCY_KEY": "key-1"}

    with django_capture_on_commit_callbacks() as dispatched:
        first = auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk}, **headers)
        second = auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk}, **headers)

    assert first.status_code == second.status_code == 202
    assert first.json()["id"] == second.json()["id"]
    assert Operation.objects.count() == 1
    assert len(dispatched) == 1


def test_the_same_key_with_another_body_is_refused(auth_client):
    first, other = PropertyFactory(), PropertyFactory()
    auth_client.post(BOOKING_CREATE_URL, {"property_id": first.pk}, HTTP_IDEMPOTENCY_KEY="key-1")

    response = auth_client.post(BOOKING_CREATE_URL, {"property_id": other.pk}, HTTP_IDEMPOTENCY_KEY="key-1")

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["detail"]
    assert Operation.objects.count() == 1


def test_keys_belong_to_their_user(auth_client):
    prop = PropertyFactory()
    mine = auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk}, HTTP_IDEMPOTENCY_KEY="shared")
    theirs = client_for(UserFactory()).post(BOOKING_CREATE_URL, {"property_id": prop.pk}, HTTP_IDEMPOTENCY_KEY="shared")

    assert mine.json()["id"] != theirs.json()["id"]
    assert Operation.objects.count() == 2


# Too short, too long, or not printable ASCII (a NUL or a surrogate could not even be stored).
@pytest.mark.parametrize("key", ["", "k" * 256, "a\x00b", "caf\u00e9", "tab\there"])
def test_a_key_out_of_bounds_is_a_400(auth_client, key):
    prop = PropertyFactory()

    response = auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk}, HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Operation.objects.exists()


def test_a_replay_after_staff_deleted_the_property_returns_the_same_operation(
    auth_client, django_capture_on_commit_callbacks
):
    prop = PropertyFactory()
    body, headers = {"property_id": prop.pk}, {"HTTP_IDEMPOTENCY_KEY": "key-1"}
    first = auth_client.post(BOOKING_CREATE_URL, body, **headers)
    # Its answer is lost; before the client tries again, staff delete the property (no booking protects it yet).
    prop.delete()
    with django_capture_on_commit_callbacks() as dispatched:
        second = auth_client.post(BOOKING_CREATE_URL, body, **headers)

    assert (first.status_code, second.status_code) == (202, 202), second.json()
    assert second.json()["id"] == first.json()["id"]
    assert second["Location"] == first["Location"]
    assert Operation.objects.count() == 1
    assert dispatched == []


def test_a_first_request_refused_at_once_leaves_its_key_free(auth_client):
    headers = {"HTTP_IDEMPOTENCY_KEY": "key-1"}

    refused = auth_client.post(BOOKING_CREATE_URL, {"property_id": 424242}, **headers)
    accepted = auth_client.post(BOOKING_CREATE_URL, {"property_id": PropertyFactory().pk}, **headers)

    assert refused.status_code == 400
    assert refused.json() == {"property_id": ["Property does not exist."]}
    assert accepted.status_code == 202
    assert [str(pk) for pk in Operation.objects.values_list("pk", flat=True)] == [accepted.json()["id"]]


@pytest.mark.parametrize("url", ["/api/payments/initiate/", "/api/bookings/{id}/cancel/"])
def test_a_replay_of_a_payment_or_a_cancel_after_its_booking_ended_returns_the_same_operation(
    url, django_capture_on_commit_callbacks
):
    booking = BookingFactory()
    client, url = client_for(booking.user), url.format(id=booking.pk)
    body, headers = {"booking_id": booking.pk, "provider": "STRIPE"}, {"HTTP_IDEMPOTENCY_KEY": "key-1"}
    first = client.post(url, body, **headers)
    expire(booking)
    with django_capture_on_commit_callbacks() as dispatched:
        second = client.post(url, body, **headers)

    assert (first.status_code, second.status_code) == (202, 202), second.json()
    assert second.json()["id"] == first.json()["id"]
    assert Operation.objects.count() == 1
    assert dispatched == []
