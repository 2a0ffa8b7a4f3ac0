"""The broker is swappable: a booking runs end to end with RabbitMQ instead of Redis.

Nothing in the code names the broker; CELERY_BROKER_URL alone decides. Skipped
where no RabbitMQ answers (it is optional: Redis is the default broker).
"""

import pytest

from domain.operations.models import Operation
from tests.support.clients import BOOKING_CREATE_URL, client_for, wait_for_operation
from tests.support.factories import PropertyFactory, UserFactory
from tests.support.network import RABBITMQ_URL


@pytest.mark.django_db(transaction=True)
def test_a_booking_runs_through_rabbitmq(start_worker_process, rabbitmq_broker):
    start_worker_process("rabbit", extra_env={"TEST_BROKER_URL": RABBITMQ_URL})
    prop = PropertyFactory()
    client = client_for(UserFactory())

    accepted = client.post(BOOKING_CREATE_URL, {"property_id": prop.pk})
    done = wait_for_operation(client, accepted["Location"])

    assert done["status"] == "SUCCEEDED", done
    assert Operation.objects.get(pk=done["id"]).attempts == 1
    assert done["result"]["property"] == prop.pk
