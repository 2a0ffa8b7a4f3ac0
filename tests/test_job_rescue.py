"""A worker killed whole (SIGKILL) mid-run: another finishes its operations and webhook events
within 30 s, at the default settings, on Redis and on RabbitMQ, and nothing is applied twice."""

import time

import pytest

from domain.bookings.models import Booking
from domain.operations.kinds import BOOKING_CREATE, BookingCreateArguments
from domain.operations.models import Operation
from domain.operations.services import start_operation
from domain.payments.models import WebhookEvent
from domain.properties.models import Property
from tasks.jobs import dispatch
from tests.support.concurrency import row_locked, sessions_waiting_on_a_lock
from tests.support.factories import PropertyFactory, UserFactory
from tests.support.network import RABBITMQ_URL
from tests.support.payments import booking_with_payment, stored_event
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# API.md: "An operation whose worker died is finished by another worker within 30 seconds".
RESCUE_DEADLINE = 30


@pytest.fixture(params=["redis", "rabbitmq"])
def broker_env(request):
    """The environment of the worker and beat processes, for the broker named by the parameter."""
    if request.param == "redis":
        return {}  # the test broker (config/test_settings.py)
    request.getfixturevalue("rabbitmq_broker")
    return {"TEST_BROKER_URL": RABBITMQ_URL}


def test_the_runs_of_a_worker_killed_whole_are_finished_by_another_within_30_s(
    broker_env, start_worker_process, start_beat_process
):
    doomed = start_worker_process("doomed", extra_env=broker_env)
    start_beat_process(extra_env=broker_env)
    wanted = PropertyFactory()
    operation, _ = start_operation(
        owner=UserFactory(), kind=BOOKING_CREATE, arguments=BookingCreateArguments(property_id=wanted.pk)
    )
    paid_booking, payment = booking_with_payment("STRIPE")
    event = stored_event(payment, "SUCCESS")

    # Both runs wait on a row lock when the worker dies: the hardest case,
    # since PostgreSQL must notice a dead client that is not reading.
    with row_locked(Property, wanted.pk), row_locked(Property, paid_booking.property_id):
        dispatch(operation)
        dispatch(event)
        wait_until(lambda: sessions_waiting_on_a_lock() >= 2, 20, "both runs to wait on their row lock")
        doomed.kill()
        killed_at = time.monotonic()
    start_worker_process("heir", extra_env=broker_env)

    def both_final() -> bool:
        return Operation.objects.get(pk=operation.pk).is_final and WebhookEvent.objects.get(pk=event.pk).is_final

    wait_until(both_final, RESCUE_DEADLINE, "the dead worker's runs to be finished", interval=0.2)
    rescued_in = time.monotonic() - killed_at
    print(f"\nrescued in {rescued_in:.1f} s after the SIGKILL ({broker_env.get('TEST_BROKER_URL', 'redis')})")

    operation.refresh_from_db()
    event.refresh_from_db()
    assert (operation.status, operation.attempts) == (Operation.Status.SUCCEEDED, 2)
    assert list(Booking.objects.filter(property=wanted).values_list("pk", flat=True)) == [operation.result_id]
    assert (event.status, event.result, event.attempts) == (WebhookEvent.Status.SUCCEEDED, "APPLIED", 2)
    assert Booking.objects.get(pk=paid_booking.pk).status == Booking.Status.PAID
