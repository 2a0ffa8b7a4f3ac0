"""payment.initiate on real worker processes: a worker killed (SIGKILL) after the provider answered, before
its commit."""

import pytest

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking
from domain.operations.kinds import PAYMENT_INITIATE, PaymentInitiateArguments
from domain.operations.models import Operation
from domain.operations.services import start_operation
from domain.payments.models import Payment
from domain.payments.providers import simulated_ledger as ledger
from domain.payments.providers.registry import strategy_for
from tasks.jobs import dispatch
from tasks.maintenance import redispatch_jobs
from tests.support.concurrency import row_locked, sessions_waiting_on_a_lock
from tests.support.factories import BookingFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_payment_opened_by_a_worker_killed_before_its_commit_is_canceled_when_the_booking_ended_meanwhile(
    start_worker_process,
):
    doomed = start_worker_process("doomed")
    booking = BookingFactory()
    arguments = PaymentInitiateArguments(booking_id=booking.pk, provider="STRIPE", payload={})
    operation, _ = start_operation(owner=booking.user, kind=PAYMENT_INITIATE, arguments=arguments)
    # The provider opens the payment; the run then waits for the booking's lock to record it, and dies there.
    with row_locked(Booking, booking.pk):
        dispatch(operation)
        wait_until(lambda: sessions_waiting_on_a_lock() > 0, what="the run to wait on the booking's lock")
        doomed.kill()
    # What the dead run opened: the provider answers a start repeated with the same key with it.
    opened = strategy_for("STRIPE").start_payment(booking, {}, str(operation.pk))
    assert ledger.state_of("STRIPE", opened.transaction_id) == ledger.OPEN
    # The customer, seeing nothing happen, cancels before another worker takes the operation up.
    cancel_booking(user=booking.user, booking_id=booking.pk)
    start_worker_process("heir")

    wait_until(redispatch_jobs, 10, "the sweep to find the dead run", met=lambda sent: sent == 1, interval=0.5)

    final = wait_until(
        lambda: Operation.objects.get(pk=operation.pk),
        60,
        "the heir to finish the operation",
        met=lambda op: op.is_final,
        interval=0.2,
    )
    assert (final.status, final.error_code) == (Operation.Status.FAILED, "booking_not_payable")
    assert not Payment.objects.exists()
    wait_until(
        lambda: ledger.state_of("STRIPE", opened.transaction_id),
        10,
        "the payment the dead run opened to be canceled at its provider",
        met=lambda state: state == ledger.CANCELED,
    )
