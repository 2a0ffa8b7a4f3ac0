"""Bookings executed by real `celery worker` processes: races, redelivery, a killed worker."""

import time

import pytest
from django.db import connection

from domain.bookings.models import Booking
from domain.operations.kinds import BOOKING_CREATE, BookingCreateArguments
from domain.operations.models import Operation
from domain.operations.services import start_operation
from domain.properties.models import Property
from tasks.jobs import dispatch
from tasks.maintenance import redispatch_jobs
from tests.support.clients import BOOKING_CREATE_URL, client_for
from tests.support.concurrency import row_locked, run_at_once, sessions_waiting_on_a_lock
from tests.support.factories import PropertyFactory, UserFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until_final(operation_ids, timeout=60) -> dict:
    return wait_until(
        lambda: {op.pk: op for op in Operation.objects.filter(pk__in=operation_ids)},
        timeout,
        f"operations {list(operation_ids)} to be final",
        met=lambda operations: all(op.is_final for op in operations.values()),
        interval=0.2,
        report=lambda: f"not final: {list(Operation.objects.exclude(status__in=Operation.FINAL_STATUSES))}",
    )


def test_thirty_users_racing_for_one_property_through_the_api(start_worker_process):
    workers = [start_worker_process("racer1"), start_worker_process("racer2")]
    prop = PropertyFactory()
    clients = [client_for(UserFactory()) for _ in range(30)]

    responses = run_at_once(
        [lambda client=client: client.post(BOOKING_CREATE_URL, {"property_id": prop.pk}) for client in clients]
    )

    assert not any(isinstance(response, BaseException) for response in responses), responses
    assert [r.status_code for r in responses] == [202] * 30
    operations = wait_until_final([r.json()["id"] for r in responses]).values()
    succeeded = [op for op in operations if op.status == Operation.Status.SUCCEEDED]
    failed = [op for op in operations if op.status == Operation.Status.FAILED]
    assert len(succeeded) == 1
    assert len(failed) == 29 and {op.error_code for op in failed} == {"property_unavailable"}
    assert list(Booking.objects.filter(property=prop).values_list("pk", flat=True)) == [succeeded[0].result_id]
    assert Property.objects.get(pk=prop.pk).is_available is False
    for worker in workers:  # both processes took part
        assert "succeeded" in worker.log_path.read_text(), worker.log_path.read_text()


def test_a_task_delivered_twice_books_once(start_worker_process):
    start_worker_process("twice1")
    start_worker_process("twice2")
    prop = PropertyFactory()
    operation, _ = start_operation(
        owner=UserFactory(), kind=BOOKING_CREATE, arguments=BookingCreateArguments(property_id=prop.pk)
    )

    dispatch(operation)
    dispatch(operation)

    final = wait_until_final([operation.pk])[operation.pk]
    time.sleep(1)  # let the second delivery finish too
    assert final.status == Operation.Status.SUCCEEDED
    assert Booking.objects.filter(property=prop).count() == 1
    assert Operation.objects.get(pk=operation.pk).status == Operation.Status.SUCCEEDED


def start_a_booking_and_kill_its_worker(start_worker_process):
    """A booking task killed (SIGKILL) while inside its transaction; returns (operation, property)."""
    doomed = start_worker_process("doomed")
    prop = PropertyFactory()
    operation, _ = start_operation(
        owner=UserFactory(), kind=BOOKING_CREATE, arguments=BookingCreateArguments(property_id=prop.pk)
    )
    with row_locked(Property, prop.pk):
        dispatch(operation)
        wait_until(lambda: sessions_waiting_on_a_lock() > 0, what="the task to wait on the property's lock")
        doomed.kill()
    operation.refresh_from_db()
    assert operation.status == Operation.Status.RUNNING
    assert not Booking.objects.exists()  # its transaction died with it
    return operation, prop


def test_a_killed_worker_loses_nothing_the_broker_redelivers(start_worker_process):
    operation, prop = start_a_booking_and_kill_its_worker(start_worker_process)

    # The message was never acknowledged: once its visibility timeout is
    # over, the broker hands it to the next worker.
    start_worker_process("heir", extra_env={"CELERY_VISIBILITY_TIMEOUT": "2"})

    final = wait_until_final([operation.pk])[operation.pk]
    assert final.status == Operation.Status.SUCCEEDED
    assert final.attempts == 2
    assert list(Booking.objects.values_list("property_id", flat=True)) == [prop.pk]


def test_a_killed_worker_loses_nothing_the_sweeper_redispatches(start_worker_process):
    operation, prop = start_a_booking_and_kill_its_worker(start_worker_process)
    start_worker_process("heir")

    # PostgreSQL drops the dead run's lock as soon as it notices its client
    # is gone (within client_connection_check_interval): no timer to wait out.
    wait_until(redispatch_jobs, 10, "the sweep to find the dead run", met=lambda sent: sent == 1, interval=0.5)

    final = wait_until_final([operation.pk])[operation.pk]
    assert final.status == Operation.Status.SUCCEEDED
    assert list(Booking.objects.values_list("property_id", flat=True)) == [prop.pk]


def worker_backends() -> set[int]:
    """The PostgreSQL backends of the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


def test_a_worker_reuses_its_database_connection_from_task_to_task(start_worker_process):
    start_worker_process("reuser", concurrency=1)
    owner = UserFactory()

    def book():
        operation, _ = start_operation(
            owner=owner, kind=BOOKING_CREATE, arguments=BookingCreateArguments(property_id=PropertyFactory().pk)
        )
        dispatch(operation)
        wait_until_final([operation.pk])
        return worker_backends()

    after_first, after_second = book(), book()

    assert len(after_first) == 1  # kept open after the task, not closed by Celery's fixup
    assert after_second == after_first  # and the next task ran on it
