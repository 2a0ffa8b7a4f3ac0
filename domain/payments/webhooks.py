"""Provider webhooks: authenticate and store an event, then apply it under the booking's lock."""

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from domain.bookings.locks import lock_booking
from domain.bookings.models import Booking
from domain.bookings.services import end_booking, pay_booking
from domain.errors import DomainError, ErrorCode
from domain.jobs.models import JobStatus
from domain.jobs.runs import requeue, run_job
from domain.notices.services import NoticeKind, queue_notice

from . import history
from .models import Payment, WebhookEvent
from .providers.base import WebhookNotice
from .providers.registry import strategy_for
from .refunds import complete_refund, request_refund
from .selectors import current_payment_id

logger = logging.getLogger(__name__)


def receive_webhook(provider: str, raw_body: bytes, headers: Mapping[str, str]) -> tuple[WebhookEvent, bool]:
    """Store a provider's event once; returns (event, created).

    The signature is checked over the raw body before anything is parsed or
    stored (InvalidWebhook otherwise). An event already received, even by a
    concurrent request, comes back with created False and nothing changes.
    """
    strategy = strategy_for(provider)
    strategy.verify_webhook(raw_body, headers)
    notice = strategy.parse_webhook(raw_body)
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider, event_id=notice.event_id, payload=notice.as_payload()
            )
    except IntegrityError:
        return WebhookEvent.objects.get(provider=provider, event_id=notice.event_id), False
    return event, True


def apply_webhook_event(event_pk) -> WebhookEvent | None:
    """Apply a stored event to its booking and payment; safe to call any number of times.

    Returns the event if this call applied or rejected it, else None. Its
    result and outcome commit with the change they describe.
    """
    return run_job(WebhookEvent, event_pk, finish=_finish)


def replay_failed_event(*, event_pk: int, replayed_by: str) -> WebhookEvent:
    """Give a webhook event that was given up (FAILED) to the workers again, once its cause is fixed.

    Its attempts start again from nought and the next sweep sends it; an
    event that is not FAILED is refused (an applied one must not apply twice).
    """
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None:
            raise DomainError(ErrorCode.WEBHOOK_EVENT_NOT_FOUND, f"No webhook event {event_pk}.")
        if event.status != WebhookEvent.Status.FAILED:
            raise DomainError(
                ErrorCode.WEBHOOK_EVENT_NOT_FAILED,
                f"Only a failed event can be replayed; event {event_pk} is {event.status}.",
            )
        logger.warning("webhook event %s replayed by %s", event_pk, replayed_by)
        requeue(event, outcome=f"replayed by {replayed_by}; was: {event.outcome}"[:255])
    return event


def _finish(event: WebhookEvent, prepared: None) -> None:
    notice = WebhookNotice.from_body(event.payload)
    result, outcome = _apply_notice(event, notice)
    event.record_final(JobStatus.SUCCEEDED, result=result, outcome=outcome)


def _apply_notice(event: WebhookEvent, notice: WebhookNotice) -> tuple[WebhookEvent.Result, str]:
    """Apply the rules of API.md under the user's, property's and booking's locks, then the payment's;
    returns (result, outcome), which the payment's history repeats."""
    booking = lock_booking(notice.booking_id)
    payment = None
    if booking is not None:
        payment = (
            Payment.objects.select_for_update()
            .filter(booking=booking, provider=event.provider, transaction_id=notice.transaction_id)
            .first()
        )
    if payment is None:
        if notice.status == "SUCCESS":
            logger.error(
                "%s reports SUCCESS for transaction %s of booking %s, which has no such payment",
                event.provider,
                notice.transaction_id,
                notice.booking_id,
            )
        return WebhookEvent.Result.REJECTED, "rejected: no payment of this booking has this transaction"
    result, outcome = _apply_to_payment(event, notice, booking, payment)
    entry = history.Entry.WEBHOOK_APPLIED if result == WebhookEvent.Result.APPLIED else history.Entry.WEBHOOK_REJECTED
    history.record(
        payment,
        entry,
        source=history.Source.WEBHOOK_EVENT,
        source_id=event.event_id,
        detail=f"{notice.status}: {outcome}",
    )
    return result, outcome


def _apply_to_payment(event: WebhookEvent, notice: WebhookNotice, booking: Booking, payment: Payment):
    if notice.status == "REFUNDED":
        if payment.status not in (Payment.Status.REFUND_PENDING, Payment.Status.REFUND_FAILED, Payment.Status.REFUNDED):
            return WebhookEvent.Result.REJECTED, f"rejected: no refund of this payment was requested ({payment.status})"
        # The provider's word that the money went back ends a refund given up too.
        return WebhookEvent.Result.APPLIED, complete_refund(
            payment,
            source=history.Source.WEBHOOK_EVENT,
            source_id=event.event_id,
            detail="the provider confirmed the refund",
        )
    # SUCCESS and the refund states are final: a later FAILED, or a SUCCESS
    # delivered again (even after its first event was purged), changes nothing.
    if payment.status == Payment.Status.SUCCESS:
        return WebhookEvent.Result.APPLIED, "ignored: payment already succeeded"
    if payment.status in Payment.REFUND_STATUSES:
        return WebhookEvent.Result.APPLIED, f"ignored: payment already {payment.status}, final for webhooks"
    if notice.status == "SUCCESS":
        return WebhookEvent.Result.APPLIED, _succeed(event, booking, payment)
    if payment.status == Payment.Status.FAILED:
        return WebhookEvent.Result.APPLIED, "ignored: payment already failed"
    return WebhookEvent.Result.APPLIED, _fail(booking, payment)


def _succeed(event: WebhookEvent, booking: Booking, payment: Payment) -> str:
    payment.status = Payment.Status.SUCCESS
    payment.save(update_fields=["status", "updated_at"])
    status_before = booking.status
    if not _is_current(payment):
        why = "a newer payment of the booking replaced this transaction"
    elif not pay_booking(booking):
        why = f"the booking is {booking.status} ({booking.end_reason or 'no reason'}) and cannot be fulfilled"
    else:
        queue_notice(kind=NoticeKind.BOOKING_PAID, booking=booking)
        if status_before == Booking.Status.PENDING:
            return "payment succeeded; booking paid"
        return f"payment succeeded; {status_before.lower()} booking paid and holds the property again"
    request_refund(payment=payment, reason=why, source=history.Source.WEBHOOK_EVENT, source_id=event.event_id)
    return f"payment succeeded; refund requested: {why}"


def _fail(booking: Booking, payment: Payment) -> str:
    payment.status = Payment.Status.FAILED
    payment.save(update_fields=["status", "updated_at"])
    if not _is_current(payment):
        return "payment failed; a newer payment of the booking replaced it"
    if booking.status != Booking.Status.PENDING:
        return f"payment failed; booking was already {booking.status}"
    end_booking(booking, reason=Booking.EndReason.PAYMENT_FAILED)
    queue_notice(kind=NoticeKind.PAYMENT_FAILED, booking=booking)
    return "payment failed; booking canceled and property released"


def _is_current(payment: Payment) -> bool:
    """Whether the payment is its booking's newest: the one the booking waits on."""
    return current_payment_id(payment.booking_id) == payment.pk
