"""The operation runner: at most once in effect, final even when things go wrong."""

from datetime import timedelta

import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import create_booking
from domain.operations.handlers import HANDLERS, Handler
from domain.operations.models import Operation
from domain.operations.services import execute_operation, start_operation, take_stale_operations
from domain.properties.models import Property
from tasks.operations import run_operation
from tasks.retries import RETRY_TRANSIENT_DATABASE_ERRORS
from tests.concurrency import row_locked, run_at_once
from tests.factories import PropertyFactory, UserFactory

pytestmark = pytest.mark.django_db


def booking_operation(**fields) -> Operation:
    prop = PropertyFactory()
    operation, _ = start_operation(owner=UserFactory(), kind=Operation.Kind.BOOKING_CREATE, request={"property_id": prop.pk})
    Operation.objects.filter(pk=operation.pk).update(**fields)
    operation.refresh_from_db()
    return operation


def test_a_second_run_changes_nothing():
    operation = booking_operation()

    first = execute_operation(operation.pk)
    second = execute_operation(operation.pk)

    assert first.status == Operation.Status.SUCCEEDED
    assert second is None
    operation.refresh_from_db()
    assert operation.attempts == 1
    assert Booking.objects.filter(pk=operation.result_id).count() == 1
    assert Booking.objects.count() == 1


def test_a_refusal_ends_the_operation_failed_with_its_code():
    prop = PropertyFactory(is_available=False)
    operation, _ = start_operation(owner=UserFactory(), kind=Operation.Kind.BOOKING_CREATE, request={"property_id": prop.pk})

    execute_operation(operation.pk)

    operation.refresh_from_db()
    assert (operation.status, operation.error_code) == (Operation.Status.FAILED, "property_unavailable")
    assert operation.error_detail
    assert not Booking.objects.exists()


def test_an_unexpected_error_ends_failed_internal_error_and_is_logged(monkeypatch, caplog):
    operation = booking_operation()

    def broken(op, prepared):
        raise RuntimeError("bug")

    monkeypatch.setitem(HANDLERS, Operation.Kind.BOOKING_CREATE, Handler(apply=broken))
    run_operation.apply(args=[str(operation.pk)])

    operation.refresh_from_db()
    assert (operation.status, operation.error_code) == (Operation.Status.FAILED, "internal_error")
    assert str(operation.pk) in caplog.text


def test_a_transient_database_error_is_retried(monkeypatch):
    operation = booking_operation()
    real = HANDLERS[Operation.Kind.BOOKING_CREATE]
    calls = []

    def deadlocks_once(op, prepared):
        calls.append(op.pk)
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return real.apply(op, prepared)

    monkeypatch.setitem(HANDLERS, Operation.Kind.BOOKING_CREATE, Handler(apply=deadlocks_once))
    run_operation.apply(args=[str(operation.pk)])

    operation.refresh_from_db()
    assert len(calls) == 2
    assert operation.status == Operation.Status.SUCCEEDED
    assert operation.attempts == 2


def test_an_operation_that_keeps_dying_gives_up(settings):
    settings.OPERATION_MAX_ATTEMPTS = 3
    operation = booking_operation(status=Operation.Status.RUNNING, attempts=3)

    assert execute_operation(operation.pk) is None

    operation.refresh_from_db()
    assert (operation.status, operation.error_code) == (Operation.Status.FAILED, "internal_error")
    assert not Booking.objects.exists()


def test_stale_operations_are_taken_once_per_sweep():
    old = timezone.now() - timedelta(minutes=10)
    stuck_pending = booking_operation(updated_at=old)
    stuck_running = booking_operation(status=Operation.Status.RUNNING, updated_at=old)
    booking_operation()  # recent: its task may still be on its way
    booking_operation(status=Operation.Status.SUCCEEDED, updated_at=old)

    first = take_stale_operations(timezone.now() - timedelta(minutes=5), max_redispatches=5)
    second = take_stale_operations(timezone.now() - timedelta(minutes=5), max_redispatches=5)

    assert {pk for pk, _ in first} == {stuck_pending.pk, stuck_running.pk}
    assert second == []


def test_an_operation_no_worker_takes_ends_failed_after_its_redispatches():
    operation = booking_operation()
    swept = []
    for _ in range(4):
        Operation.objects.filter(pk=operation.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
        swept.append(len(take_stale_operations(timezone.now() - timedelta(minutes=5), max_redispatches=2)))

    assert swept == [1, 1, 0, 0]
    operation.refresh_from_db()
    assert (operation.status, operation.error_code, operation.redispatches) == ("FAILED", "internal_error", 2)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_an_operation_whose_run_holds_its_lock():
    operation = booking_operation(updated_at=timezone.now() - timedelta(minutes=10))

    with row_locked(Operation, operation.pk):  # as its run does
        assert take_stale_operations(timezone.now(), max_redispatches=5) == []

    assert take_stale_operations(timezone.now(), max_redispatches=5) == [(operation.pk, operation.kind)]


@pytest.mark.django_db(transaction=True)
def test_of_two_concurrent_runs_only_one_applies(monkeypatch):
    operation = booking_operation()
    real = HANDLERS[Operation.Kind.BOOKING_CREATE]
    first_prepared, release_first = threading.Event(), threading.Event()
    applied = []

    def prepare(op):
        if not first_prepared.is_set():  # the first run waits here, holding no lock
            first_prepared.set()
            release_first.wait(10)

    def apply(op, prepared):
        applied.append(op.pk)
        return real.apply(op, prepared)

    monkeypatch.setitem(HANDLERS, Operation.Kind.BOOKING_CREATE, Handler(prepare=prepare, apply=apply))
    first_run = []
    runner = threading.Thread(target=lambda: first_run.extend(run_at_once([lambda: execute_operation(operation.pk)])))
    runner.start()
    try:
        assert first_prepared.wait(10)
        second = execute_operation(operation.pk)  # a redelivery while the first is mid-run
    finally:
        release_first.set()
        runner.join(10)

    assert second.status == Operation.Status.SUCCEEDED
    assert first_run == [None]  # found it final under the lock: did nothing
    assert applied == [operation.pk]
    operation.refresh_from_db()
    assert operation.attempts == 2
    assert Booking.objects.count() == 1


def test_a_soft_time_limit_ends_failed_internal_error(monkeypatch):
    operation = booking_operation()

    def too_slow(op, prepared):
        raise SoftTimeLimitExceeded()

    monkeypatch.setitem(HANDLERS, Operation.Kind.BOOKING_CREATE, Handler(apply=too_slow))
    run_operation.apply(args=[str(operation.pk)])

    operation.refresh_from_db()
    assert (operation.status, operation.error_code) == (Operation.Status.FAILED, "internal_error")


@pytest.mark.django_db(transaction=True)
def test_a_lock_held_too_long_is_a_transient_error_the_task_retries():
    prop = PropertyFactory()

    with row_locked(Property, prop.pk):
        started = time.monotonic()
        with pytest.raises(OperationalError, match="lock timeout"):
            create_booking(user=UserFactory(), property_id=prop.pk)
        waited = time.monotonic() - started

    assert 1 < waited < 5  # DATABASE_LOCK_TIMEOUT is 2s in the tests
    assert OperationalError in RETRY_TRANSIENT_DATABASE_ERRORS["autoretry_for"]
