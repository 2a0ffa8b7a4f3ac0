"""With the broker down, accepted work is still recorded, and a sweep sends it later."""

import pytest

from domain.operations.models import Operation
from domain.payments.models import WebhookEvent
from tests.conftest import BOOKING_CREATE_URL
from tests.factories import PropertyFactory
from tests.payments import booking_with_payment, post_webhook, webhook_body

pytestmark = pytest.mark.django_db


def test_an_operation_is_accepted_and_recorded(auth_client, dead_broker, django_capture_on_commit_callbacks):
    prop = PropertyFactory()

    with django_capture_on_commit_callbacks(execute=True) as dispatches:
        response = auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk})

    assert len(dispatches) == 1  # the dispatch was tried, and failed
    assert response.status_code == 202
    operation = Operation.objects.get(pk=response.json()["id"])
    assert operation.status == Operation.Status.PENDING  # for the sweep


def test_a_webhook_is_acknowledged_and_stored(api_client, dead_broker, django_capture_on_commit_callbacks):
    _, payment = booking_with_payment("BKASH")

    with django_capture_on_commit_callbacks(execute=True) as dispatches:
        response = post_webhook(api_client, "BKASH", webhook_body(payment, "SUCCESS"))

    assert len(dispatches) == 1
    assert (response.status_code, response.json()) == (200, {"detail": "ok"})
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PENDING  # for the sweep
