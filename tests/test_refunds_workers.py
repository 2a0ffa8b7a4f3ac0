"""Refunds on real worker processes and the beat sweep: nobody acts, the provider fails at first, a worker
dies in the middle of the provider call; the money goes back once."""

import pytest

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking, create_booking
from domain.payments.models import Payment, Refund
from domain.payments.providers import simulated_ledger as ledger
from domain.payments.webhooks import apply_webhook_event
from tests.support.clients import client_for
from tests.support.factories import UserFactory
from tests.support.payments import (
    booking_with_payment,
    expire,
    late_success_for_a_taken_property,
    paid_at_provider,
    post_webhook,
    webhook_body,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# A sweep every second, and retries 2, 4, 8 s apart: the defaults' behaviour, faster.
FAST_JOBS = {"JOB_SWEEP_INTERVAL": "1", "JOB_REDISPATCH_AFTER": "1"}


def expired_and_taken(booking):
    expire(booking)
    create_booking(user=UserFactory(), property_id=booking.property_id)


def canceled_by_its_user(booking):
    cancel_booking(user=booking.user, booking_id=booking.pk)


@pytest.mark.parametrize("ended", [expired_and_taken, canceled_by_its_user], ids=["expired-and-taken", "canceled"])
def test_a_late_success_that_cannot_be_kept_ends_refunded_by_itself_and_its_user_sees_it(
    ended, api_client, start_worker_process, start_beat_process
):
    start_worker_process("worker", extra_env=FAST_JOBS)
    start_beat_process(extra_env=FAST_JOBS)
    booking, payment = booking_with_payment("STRIPE")
    ended(booking)
    paid_at_provider(payment)
    # The provider's refund API is down for the first two requests.
    ledger.script_refunds("STRIPE", payment.transaction_id, ledger.RefundScript(failures=2))

    response = post_webhook(api_client, "STRIPE", webhook_body(payment, "SUCCESS", event_id="evt_late"))
    assert response.status_code == 200

    owner = client_for(booking.user)
    shown = wait_until(
        lambda: owner.get(f"/api/bookings/{booking.pk}/").json(),
        60,
        "the booking to show its payment refunded",
        met=lambda body: body["payment"]["status"] == "REFUNDED",
        interval=0.5,
    )
    assert shown["status"] == Booking.objects.get(pk=booking.pk).status != "PAID"
    assert shown["payment"] == {
        "id": payment.pk,
        "provider": "STRIPE",
        "status": "REFUNDED",
        "amount": "1250000.00",
        "refunded_amount": "1250000.00",
        "transaction_id": payment.transaction_id,
    }
    refund = Refund.objects.get(payment=payment)
    assert (refund.status, refund.attempts) == (Refund.Status.SUCCEEDED, 3)
    assert ledger.refund_requests("STRIPE", payment.transaction_id) == 3
    assert ledger.refunds_made("STRIPE", payment.transaction_id) == [refund.provider_refund_id]


def test_a_refund_whose_worker_is_killed_during_the_provider_call_is_finished_by_another_and_refunds_once(
    start_worker_process, start_beat_process
):
    doomed = start_worker_process("doomed", extra_env=FAST_JOBS)
    start_beat_process(extra_env=FAST_JOBS)
    payment, event = late_success_for_a_taken_property()
    # The provider makes the refund, then its answer takes seconds: the worker dies before it arrives.
    ledger.script_refunds("STRIPE", payment.transaction_id, ledger.RefundScript(delay=4))
    apply_webhook_event(event.pk)  # records the refund; the sweep sends it

    wait_until(lambda: ledger.refund_requests("STRIPE", payment.transaction_id) == 1, 30, "the provider to be asked")
    doomed.kill()
    start_worker_process("heir", extra_env=FAST_JOBS)

    wait_until(
        lambda: Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUNDED,
        60,
        "the heir to finish the refund",
        interval=0.2,
    )
    refund = Refund.objects.get(payment=payment)
    assert (refund.status, refund.attempts) == (Refund.Status.SUCCEEDED, 2)
    # Asked twice, with one idempotency key: one refund.
    assert ledger.refund_requests("STRIPE", payment.transaction_id) == 2
    assert ledger.refunds_made("STRIPE", payment.transaction_id) == [refund.provider_refund_id]
    assert Payment.objects.get(pk=payment.pk).refunded_amount == payment.amount
