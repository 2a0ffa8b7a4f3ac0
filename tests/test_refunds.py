"""Refunds of money that cannot be kept: requested by the rules, run through the provider's strategy,
retried, given up for staff, confirmed by webhook; the refund states are final for webhooks."""

from decimal import Decimal

import pytest
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking
from domain.notices.models import Notice, NoticeKind
from domain.payments.models import Payment, Refund, WebhookEvent
from domain.payments.providers import simulated_ledger as ledger
from domain.payments.refunds import run_refund
from domain.payments.staff_refunds import cancel_paid_booking_with_refund
from domain.payments.webhooks import apply_webhook_event
from domain.properties.models import Property
from tasks.refunds import run_refund as run_refund_task
from tests.support.payments import (
    booking_with_payment,
    late_success_for_a_taken_property,
    paid_at_provider,
    start_payment_of,
    stored_event,
)

pytestmark = pytest.mark.django_db(transaction=True)


def applied(payment: Payment, status: str) -> WebhookEvent:
    event = stored_event(payment, status)
    apply_webhook_event(event.pk)
    return WebhookEvent.objects.get(pk=event.pk)


@pytest.mark.parametrize("provider", ["STRIPE", "BKASH"])
def test_a_late_success_for_a_taken_property_is_refunded_in_full_by_its_refund_job(provider):
    payment, event = late_success_for_a_taken_property(provider)

    apply_webhook_event(event.pk)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUND_PENDING
    refund = Refund.objects.get(payment=payment)
    assert refund.amount == payment.amount and refund.redispatch_at <= timezone.now()

    run_refund(refund.pk)

    payment.refresh_from_db()
    refund.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Payment.Status.REFUNDED, Decimal("1250000.00"))
    assert refund.status == Refund.Status.SUCCEEDED
    assert ledger.refunds_made(provider, payment.transaction_id) == [refund.provider_refund_id]
    if provider == "STRIPE":
        assert refund.provider_refund_id.startswith("re_")
        assert (refund.raw_response["object"], refund.raw_response["status"]) == ("refund", "succeeded")
        assert refund.raw_response["amount"] == 125000000  # poisha
    else:
        assert refund.raw_response["refundTrxID"] == refund.provider_refund_id
        assert refund.raw_response["originalTrxID"] == payment.transaction_id
        assert refund.raw_response["amount"] == "1250000.00"


def test_a_refund_run_again_once_final_calls_no_provider():
    payment, event = late_success_for_a_taken_property()
    apply_webhook_event(event.pk)
    refund = Refund.objects.get(payment=payment)
    run_refund(refund.pk)

    assert run_refund(refund.pk) is None
    assert ledger.refund_requests("STRIPE", payment.transaction_id) == 1


def test_a_user_who_canceled_never_gets_the_property_back_by_a_late_payment():
    booking, payment = booking_with_payment("STRIPE")
    cancel_booking(user=booking.user, booking_id=booking.pk)
    paid_at_provider(payment)

    event = applied(payment, "SUCCESS")

    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELED
    assert Property.objects.get(pk=booking.property_id).is_available is True
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUND_PENDING
    assert "refund requested" in event.outcome


def test_a_provider_error_leaves_the_refund_for_a_later_attempt_and_the_history_says_so():
    payment, event = late_success_for_a_taken_property()
    ledger.script_refunds("STRIPE", payment.transaction_id, ledger.RefundScript(failures=1))
    apply_webhook_event(event.pk)
    refund = Refund.objects.get(payment=payment)

    run_refund_task(str(refund.pk))

    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (Refund.Status.PENDING, 1)
    assert refund.redispatch_at > timezone.now()
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUND_PENDING
    assert payment.history.filter(entry="REFUND_ATTEMPT_FAILED", source_id=str(refund.pk)).exists()

    run_refund_task(str(refund.pk))

    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUNDED
    assert len(ledger.refunds_made("STRIPE", payment.transaction_id)) == 1


def test_a_refund_the_provider_keeps_refusing_is_given_up_and_its_payment_is_refund_failed_for_staff(settings):
    settings.REFUND_MAX_ATTEMPTS = 2
    payment, event = late_success_for_a_taken_property()
    ledger.script_refunds("STRIPE", payment.transaction_id, ledger.RefundScript(failures=99))
    apply_webhook_event(event.pk)
    refund = Refund.objects.get(payment=payment)

    for _ in range(3):
        run_refund_task(str(refund.pk))

    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (Refund.Status.FAILED, 2)
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUND_FAILED
    assert payment.history.filter(entry="REFUND_FAILED").exists()
    assert ledger.refunds_made("STRIPE", payment.transaction_id) == []


def test_the_refund_states_are_final_for_webhooks_even_after_the_first_event_was_purged():
    payment, event = late_success_for_a_taken_property()
    apply_webhook_event(event.pk)
    run_refund(Refund.objects.get(payment=payment).pk)
    WebhookEvent.objects.all().delete()  # the retention purge

    again, late_failure = applied(payment, "SUCCESS"), applied(payment, "FAILED")

    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Payment.Status.REFUNDED, payment.amount)
    assert again.outcome == late_failure.outcome == "ignored: payment already REFUNDED, final for webhooks"
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("webhook_first", [False, True])
def test_a_pending_refund_is_confirmed_by_the_providers_refunded_webhook_in_either_order(webhook_first):
    payment, event = late_success_for_a_taken_property()
    ledger.script_refunds("STRIPE", payment.transaction_id, ledger.RefundScript(pending=True))
    apply_webhook_event(event.pk)
    refund = Refund.objects.get(payment=payment)

    if webhook_first:
        confirmation = applied(payment, "REFUNDED")
        run_refund(refund.pk)
    else:
        run_refund(refund.pk)
        assert Payment.objects.get(pk=payment.pk).status == Payment.Status.REFUND_PENDING
        confirmation = applied(payment, "REFUNDED")

    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Payment.Status.REFUNDED, payment.amount)
    assert confirmation.result == WebhookEvent.Result.APPLIED
    assert Refund.objects.get(pk=refund.pk).raw_response["status"] == "pending"
    assert payment.history.filter(entry="REFUNDED").count() == 1


def test_a_refunded_webhook_for_a_payment_with_no_refund_is_rejected_and_changes_nothing():
    booking, payment = booking_with_payment("BKASH")

    event = applied(payment, "REFUNDED")

    assert event.result == WebhookEvent.Result.REJECTED
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.INITIATED
    assert payment.history.filter(entry="WEBHOOK_REJECTED", source_id=event.event_id).exists()


def test_each_refund_of_a_booking_is_told_to_its_customer_with_its_own_sum():
    # The customer paid a first transaction late, after starting a second: that money goes back. They
    # then paid the second, and staff canceled the paid booking: that money goes back too.
    booking, replaced = booking_with_payment("STRIPE")
    current = start_payment_of(booking, "BKASH", attempt=2)
    paid_at_provider(replaced)
    applied(replaced, "SUCCESS")
    run_refund(Refund.objects.get(payment=replaced).pk)
    paid_at_provider(current)
    applied(current, "SUCCESS")
    cancel_paid_booking_with_refund(booking_id=booking.pk, staff_username="staff")
    run_refund(Refund.objects.get(payment=current).pk)

    assert list(Payment.objects.filter(booking=booking).values_list("status", flat=True)) == ["REFUNDED"] * 2
    told = Notice.objects.filter(booking=booking, kind=NoticeKind.REFUND_DONE).order_by("pk")
    assert [notice.context["amount"] for notice in told] == [str(replaced.amount), str(current.amount)]
