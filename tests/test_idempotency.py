"""Idempotency-Key on the POSTs that start operations."""

import pytest

from domain.operations.models import Operation
from tests.support.clients import BOOKING_CREATE_URL, client_for
from tests.support.factories import PropertyFactory, UserFactory

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
