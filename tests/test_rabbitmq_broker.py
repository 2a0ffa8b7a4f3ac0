"""The broker is swappable: a booking runs end to end with RabbitMQ instead of Redis.

Nothing in the code names the broker; CELERY_BROKER_URL alone decides. Skipped
where no RabbitMQ answers (it is optional: Redis is the default broker).
"""

import os
import socket
from urllib.parse import urlparse

import pytest

from domain.operations.models import Operation
from tests.conftest import BOOKING_CREATE_URL, client_for, wait_for_operation
from tests.factories import PropertyFactory, UserFactory
from tests.workers import broker_at

RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def rabbitmq_answers() -> bool:
    address = urlparse(RABBITMQ_URL)
    try:
        with socket.create_connection((address.hostname, address.port or 5672), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def rabbitmq_broker():
    if not rabbitmq_answers():
        pytest.skip(f"no RabbitMQ at {RABBITMQ_URL}")
    with broker_at(RABBITMQ_URL):
        yield


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
