"""The operation runner: at most once in effect, final even when things go wrong."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from domain.bookings.models import Booking
from domain.operations.handlers import HANDLERS, Handler
from domain.operations.models import Operation
from domain.operations.services import execute_operation, start_operation, take_stale_operations
from tasks.operations import run_operation
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

    first = take_stale_operations(timezone.now() - timedelta(minutes=5))
    second = take_stale_operations(timezone.now() - timedelta(minutes=5))

    assert {pk for pk, _ in first} == {stuck_pending.pk, stuck_running.pk}
    assert second == []
