"""The operation runner: at most once in effect, final even when things go wrong."""

import contextlib
import dataclasses
import threading
import time
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, connection
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import create_booking
from domain.jobs import runs
from domain.jobs.sweep import take_orphans
from domain.operations.kinds import BOOKING_CREATE, OPERATION_KINDS, BookingCreateArguments
from domain.operations.models import Operation
from domain.operations.services import execute_operation, start_operation
from domain.properties.models import Property
from tasks.operations import run_operation
from tasks.retries import RETRY_TRANSIENT_DATABASE_ERRORS
from tests.support.concurrency import row_locked, run_at_once
from tests.support.factories import PropertyFactory, UserFactory

pytestmark = pytest.mark.django_db


def with_booking_create(monkeypatch, **declared) -> None:
    """booking.create with its `apply` or `prepare` replaced, for this test."""
    monkeypatch.setitem(OPERATION_KINDS, BOOKING_CREATE.name, dataclasses.replace(BOOKING_CREATE, **declared))


def booking_operation(**fields) -> Operation:
    prop = PropertyFactory()
    operation, _ = start_operation(
        owner=UserFactory(), kind=BOOKING_CREATE, arguments=BookingCreateArguments(property_id=prop.pk)
    )
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
    operation, _ = start_operation(
        owner=UserFactory(), kind=BOOKING_CREATE, arguments=BookingCreateArguments(property_id=prop.pk)
    )

    execute_operation(operation.pk)

    operation.refresh_from_db()
    assert (operation.status, operation.error_code) == (Operation.Status.FAILED, "property_unavailable")
    assert operation.error_detail
    assert not Booking.objects.exists()


def test_an_unexpected_error_ends_failed_internal_error_and_is_logged(monkeypatch, caplog):
    operation = booking_operation()

    def broken(**_):
        raise RuntimeError("bug")

    with_booking_create(monkeypatch, apply=broken)
    run_operation.apply(args=[str(operation.pk)])

    operation.refresh_from_db()
    assert (operation.status, operation.error_code) == (Operation.Status.FAILED, "internal_error")
    assert str(operation.pk) in caplog.text


def test_an_unexpected_error_is_settled_before_its_run_lets_the_job_go(monkeypatch):
    # Let go first, a second delivery could start a run in between (calling a
    # payment provider in its prepare) that the settle then gave up under it.
    operation = booking_operation()

    def broken(**_):
        raise RuntimeError("bug")

    def lock_free_elsewhere() -> bool:
        free = []

        def try_lock():
            try:
                with runs.run_lock(Operation, operation.pk) as held:
                    free.append(held)
            finally:
                connection.close()

        thread = threading.Thread(target=try_lock)
        thread.start()
        thread.join(10)
        return free == [True]

    settled_with_lock_free = []
    settle = runs.settle_after_error

    def settle_watched(model, pk):
        settled_with_lock_free.append(lock_free_elsewhere())
        settle(model, pk)

    monkeypatch.setattr(runs, "settle_after_error", settle_watched)
    with_booking_create(monkeypatch, apply=broken)
    run_operation.apply(args=[str(operation.pk)])

    assert settled_with_lock_free == [False]
    operation.refresh_from_db()
    assert (operation.status, operation.error_code) == (Operation.Status.FAILED, "internal_error")


def test_a_transient_database_error_is_retried(monkeypatch):
    operation = booking_operation()
    calls = []

    def deadlocks_once(**work):
        calls.append(work["arguments"])
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return BOOKING_CREATE.apply(**work)

    with_booking_create(monkeypatch, apply=deadlocks_once)
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


def taken(model=Operation) -> set:
    return {job.pk for job in take_orphans(model)}


def test_stale_operations_are_taken_once_per_sweep():
    old = timezone.now() - timedelta(minutes=10)
    stuck_pending = booking_operation(redispatch_at=old)
    booking_operation()  # recent: its task may still be on its way
    booking_operation(status=Operation.Status.SUCCEEDED, redispatch_at=old)

    assert taken() == {stuck_pending.pk}
    assert taken() == set()


def test_an_operation_no_worker_takes_ends_failed_after_its_redispatches(settings):
    settings.OPERATION_MAX_REDISPATCHES = 2
    operation = booking_operation()
    swept = []
    for _ in range(4):
        Operation.objects.filter(pk=operation.pk).update(redispatch_at=timezone.now() - timedelta(minutes=10))
        swept.append(len(taken()))

    assert swept == [1, 1, 0, 0]
    operation.refresh_from_db()
    assert (operation.status, operation.error_code, operation.redispatches) == ("FAILED", "internal_error", 2)


def test_each_redispatch_waits_twice_as_long_as_the_last(settings):
    operation = booking_operation()
    waits = []
    for _ in range(3):
        Operation.objects.filter(pk=operation.pk).update(redispatch_at=timezone.now() - timedelta(minutes=10))
        before = timezone.now()
        take_orphans(Operation)
        operation.refresh_from_db()
        waits.append(round((operation.redispatch_at - before).total_seconds() / settings.JOB_REDISPATCH_AFTER))

    assert waits == [2, 4, 8]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_skips_an_operation_whose_run_holds_its_lock():
    operation = booking_operation(redispatch_at=timezone.now() - timedelta(minutes=10))

    with row_locked(Operation, operation.pk):  # as its run does while it finishes
        assert taken() == set()

    assert taken() == {operation.pk}


def run_paused_in_prepare(monkeypatch, operation: Operation):
    """Start a run of `operation` in a thread that waits in its `prepare` step (holding no row lock)
    until the returned `release` is called; `finish()` joins it and returns what the run returned."""
    first_prepared, release_first = threading.Event(), threading.Event()
    applied = []

    def prepare(**_):
        if not first_prepared.is_set():  # the first run waits here
            first_prepared.set()
            release_first.wait(10)

    def apply(**work):
        applied.append(work["arguments"])
        return BOOKING_CREATE.apply(**work)

    with_booking_create(monkeypatch, prepare=prepare, apply=apply)
    first_run = []
    runner = threading.Thread(target=lambda: first_run.extend(run_at_once([lambda: execute_operation(operation.pk)])))
    runner.start()
    assert first_prepared.wait(10)

    def finish():
        release_first.set()
        runner.join(10)
        return first_run

    return finish, applied


@pytest.mark.django_db(transaction=True)
def test_a_delivery_while_a_live_run_holds_the_operation_does_nothing(monkeypatch):
    operation = booking_operation()
    finish, applied = run_paused_in_prepare(monkeypatch, operation)
    try:
        second = execute_operation(operation.pk)  # a redelivery while the first is mid-run
        operation.refresh_from_db()
        assert (operation.status, operation.attempts) == (Operation.Status.RUNNING, 1)  # not claimed again
    finally:
        first_run = finish()

    assert second is None
    assert [run.status for run in first_run] == [Operation.Status.SUCCEEDED]
    assert len(applied) == 1
    operation.refresh_from_db()
    assert operation.attempts == 1
    assert Booking.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_of_two_runs_past_the_run_lock_only_one_applies(monkeypatch):
    # As on SQLite, or for a run whose connection (and so its run lock) was
    # lost while it went on: the row lock and the final-state check decide.
    monkeypatch.setattr(runs, "run_lock", lambda model, pk: contextlib.nullcontext(True))
    operation = booking_operation()
    finish, applied = run_paused_in_prepare(monkeypatch, operation)
    try:
        second = execute_operation(operation.pk)
    finally:
        first_run = finish()

    assert second.status == Operation.Status.SUCCEEDED
    assert first_run == [None]  # found it final under the lock: did nothing
    assert len(applied) == 1
    operation.refresh_from_db()
    assert operation.attempts == 2
    assert Booking.objects.count() == 1


def test_a_soft_time_limit_ends_failed_internal_error(monkeypatch):
    operation = booking_operation()

    def too_slow(**_):
        raise SoftTimeLimitExceeded()

    with_booking_create(monkeypatch, apply=too_slow)
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
