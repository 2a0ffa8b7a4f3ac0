"""Refunds: requested under the booking's lock, sent to the provider by a worker with no lock held.

`request_refund` records a Refund job beside the payment's new state
(REFUND_PENDING) in the caller's transaction; the job's `redispatch_at` is
now, so the next sweep (every JOB_SWEEP_INTERVAL seconds) sends it: the
domain cannot dispatch, and a job recorded is a job that will run. The run
(`run_refund`, on the job machinery) calls the provider in `prepare`, with
the refund's id as the idempotency key, then records the answer under the
usual locks in `finish`. A provider error leaves the job for a later
attempt (its policy); past REFUND_MAX_ATTEMPTS the payment is REFUND_FAILED.
"""

from django.utils import timezone

from domain.bookings.locks import lock_booking
from domain.jobs.models import JobStatus
from domain.jobs.runs import run_job
from domain.notices.services import NoticeKind, queue_notice

from . import history
from .models import Payment, Refund
from .providers.base import ProviderError, ProviderRefund
from .providers.registry import strategy_for


def request_refund(
    *, payment: Payment, reason: str, source: history.Source, source_id="", requested_by: str = ""
) -> Refund:
    """Refund a locked SUCCESS payment in full, by a worker, soon; call under the booking's lock.

    One refund per payment (a database constraint): the money goes back once.
    """
    payment.status = Payment.Status.REFUND_PENDING
    payment.save(update_fields=["status", "updated_at"])
    refund = Refund.objects.create(
        payment=payment,
        amount=payment.amount,
        reason=reason[:255],
        requested_by=requested_by,
        redispatch_at=timezone.now(),
    )
    history.record(
        payment,
        history.Entry.REFUND_REQUESTED,
        source=source,
        source_id=source_id,
        detail=f"refund {refund.pk} of {payment.amount}: {reason}",
    )
    return refund


def run_refund(refund_pk) -> Refund | None:
    """Send a refund to its provider and record the answer; safe to call any number of times."""
    return run_job(Refund, refund_pk, prepare=_call_provider, finish=_record_answer)


def _call_provider(refund: Refund) -> ProviderRefund:
    payment = refund.payment
    try:
        return strategy_for(payment.provider).refund(payment, refund.amount, idempotency_key=f"refund-{refund.pk}")
    except ProviderError as error:
        # Its own short commit, no lock: the attempt is history even though the run fails.
        history.record(
            payment,
            history.Entry.REFUND_ATTEMPT_FAILED,
            source=history.Source.REFUND,
            source_id=refund.pk,
            detail=f"attempt {refund.attempts}: {error}",
        )
        raise


def _record_answer(refund: Refund, answer: ProviderRefund) -> None:
    payment = _lock_payment(refund)
    source = {"source": history.Source.REFUND, "source_id": refund.pk}
    if answer.status == ProviderRefund.SUCCEEDED:
        outcome = complete_refund(payment, **source, detail=f"the provider refunded it: {answer.refund_id}")
    elif payment.status == Payment.Status.REFUND_PENDING:
        history.record(
            payment,
            history.Entry.REFUND_PENDING,
            **source,
            detail=f"the provider's refund {answer.refund_id} is pending: its webhook confirms it",
        )
        outcome = f"pending at the provider as {answer.refund_id}"
    else:
        # Its confirmation came by webhook before this answer was recorded.
        outcome = f"pending at the provider as {answer.refund_id}; payment already {payment.status}"
    refund.record_final(
        JobStatus.SUCCEEDED, provider_refund_id=answer.refund_id, raw_response=answer.raw_response, outcome=outcome
    )


def complete_refund(payment: Payment, *, source: history.Source, source_id, detail: str) -> str:
    """Record a locked payment REFUNDED (the provider's answer, or its webhook); returns what it did."""
    if payment.status == Payment.Status.REFUNDED:
        return "already refunded"
    payment.status = Payment.Status.REFUNDED
    payment.refunded_amount = payment.amount
    payment.save(update_fields=["status", "refunded_amount", "updated_at"])
    history.record(payment, history.Entry.REFUNDED, source=source, source_id=source_id, detail=detail)
    _refund_completed(payment)
    return f"refunded {payment.refunded_amount}"


def _refund_completed(payment: Payment) -> None:
    """The one place a payment becomes REFUNDED, inside its transaction: its customer is told (the notice
    commits with it and is sent after the commit, once per payment: a booking may have several refunded)."""
    queue_notice(
        kind=NoticeKind.REFUND_DONE,
        booking=payment.booking,
        amount=payment.refunded_amount,
        about=f"payment {payment.pk}",
    )


def record_refund_given_up(refund: Refund, why: str) -> None:
    """The refund's policy gave it up (under its row lock): the payment is REFUND_FAILED, for staff."""
    payment = _lock_payment(refund)
    if payment.status == Payment.Status.REFUND_PENDING:
        payment.status = Payment.Status.REFUND_FAILED
        payment.save(update_fields=["status", "updated_at"])
    history.record(
        payment,
        history.Entry.REFUND_FAILED,
        source=history.Source.REFUND,
        source_id=refund.pk,
        detail=f"refund {refund.pk} given up: {why}",
    )
    refund.record_final(JobStatus.FAILED, outcome=f"gave up: {why}"[:255])


def _lock_payment(refund: Refund) -> Payment:
    """The refund's payment, locked in the usual order (user, property, booking), then the payment."""
    lock_booking(Payment.objects.filter(pk=refund.payment_id).values_list("booking_id", flat=True).get())
    return Payment.objects.select_for_update().get(pk=refund.payment_id)
