"""The lock order of every booking path: the user, then the property, then the booking."""

from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking, create_booking, expire_booking
from domain.payments.providers.registry import strategy_for
from domain.payments.services import StartedPayment, record_payment
from domain.payments.staff_refunds import cancel_paid_booking_with_refund
from domain.payments.webhooks import apply_webhook_event
from domain.properties.models import Property
from domain.users.models import User
from tests.support.concurrency import row_locked, run_at_once, sessions_waiting_on_a_lock
from tests.support.payments import booking_with_payment, stored_event
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def start_payment_again(booking, payment):
    answer = strategy_for("BKASH").start_payment(booking, {}, "lock-order-test")
    started = StartedPayment(answer=answer, operation_id="lock-order-test")
    return lambda: record_payment(user=booking.user, booking_id=booking.pk, provider="BKASH", started=started)


def refund_as_staff(booking, payment):
    return lambda: cancel_paid_booking_with_refund(booking_id=booking.pk, staff_username="staff")


def apply_a_failure(booking, payment):
    event = stored_event(payment, "FAILED")
    return lambda: apply_webhook_event(event.pk)


# Each makes, from a PENDING booking with a started payment, the call of one path.
PATHS = {
    "create": lambda booking, payment: lambda: create_booking(user=booking.user, property_id=booking.property_id),
    "cancel": lambda booking, payment: lambda: cancel_booking(user=booking.user, booking_id=booking.pk),
    "expire": lambda booking, payment: lambda: expire_booking(booking.pk, timezone.now() + timedelta(days=1)),
    "record-payment": start_payment_again,
    "webhook": apply_a_failure,
    "staff-refund": refund_as_staff,
}


def nothing_else_locked_while_it_waits(booking):
    """Once the path waits (for the user's lock), whether its property and booking are free to lock."""

    def check() -> bool:
        wait_until(lambda: sessions_waiting_on_a_lock() > 0, 10, "the path to wait for a lock")
        with transaction.atomic():
            Property.objects.select_for_update(nowait=True).get(pk=booking.property_id)
            Booking.objects.select_for_update(nowait=True).get(pk=booking.pk)
        return True

    return check


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
def test_every_booking_path_waits_for_the_users_lock_before_it_locks_the_property_or_the_booking(path):
    booking, payment = booking_with_payment("STRIPE")
    call = path(booking, payment)

    with row_locked(User, booking.user_id):
        waited, others_free = run_at_once([call, nothing_else_locked_while_it_waits(booking)])

    # It waited on the user's row until the lock timeout (2 s in the tests) ...
    assert isinstance(waited, OperationalError) and "lock timeout" in str(waited), waited
    # ... holding no lock on the property nor the booking meanwhile.
    assert others_free is True, others_free
