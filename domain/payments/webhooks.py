"""Provider webhooks: authenticate and store an event, then apply it under the booking's lock."""

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from domain.bookings.locks import lock_booking
from domain.bookings.models import Booking
from domain.bookings.services import end_booking, pay_booking
from domain.jobs.models import JobStatus
from domain.errors import DomainError, ErrorCode
from domain.jobs.runs import requeue, run_job
from domain.notices.services import NoticeKind, queue_notice

from .models import Payment, WebhookEvent
from .providers.base import WebhookNotice
from .providers.registry import strategy_for

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
                ErrorCode.WEBHOOK_EVENT_NOT_FAILED, f"Only a failed event can be replayed; event {event_pk} is {event.status}."
            )
        logger.warning("webhook event %s replayed by %s", event_pk, replayed_by)
        requeue(event, outcome=f"replayed by {replayed_by}; was: {event.outcome}"[:255])
    return event


def _finish(event: WebhookEvent, prepared: None) -> None:
    notice = WebhookNotice.from_body(event.payload)
    result, outcome = _apply_notice(event.provider, notice)
    event.record_final(JobStatus.SUCCEEDED, result=result, outcome=outcome)


def _apply_notice(provider: str, notice: WebhookNotice) -> tuple[WebhookEvent.Result, str]:
    """Apply the rules of API.md under the property's and the booking's locks; returns (result, outcome)."""
    booking = lock_booking(notice.booking_id)
    payment = Payment.objects.filter(booking_id=notice.booking_id).first() if booking else None
    if payment is None or payment.provider != provider or payment.transaction_id != notice.transaction_id:
        if notice.status == "SUCCESS":
            # Money may have been taken for a payment replaced since (API.md
            # keeps one payment per booking): someone must reconcile it.
            logger.error(
                "%s reports SUCCESS for transaction %s of booking %s, which is not its payment's",
                provider, notice.transaction_id, notice.booking_id,
            )
        return WebhookEvent.Result.REJECTED, "rejected: not the transaction of this booking's payment"
    if payment.status == Payment.Status.SUCCESS:
        # SUCCESS is final: a later FAILED, or a second SUCCESS, changes nothing.
        return WebhookEvent.Result.APPLIED, "ignored: payment already succeeded"
    if notice.status == "SUCCESS":
        return WebhookEvent.Result.APPLIED, _succeed(booking, payment)
    if payment.status == Payment.Status.FAILED:
        return WebhookEvent.Result.APPLIED, "ignored: payment already failed"
    return WebhookEvent.Result.APPLIED, _fail(booking, payment)


def _succeed(booking: Booking, payment: Payment) -> str:
    payment.status = Payment.Status.SUCCESS
    status_before = booking.status
    if not pay_booking(booking):
        payment.needs_refund = True
        payment.save(update_fields=["status", "needs_refund", "updated_at"])
        return f"payment succeeded; needs a refund: the booking is {booking.status} and its property is taken"
    payment.save(update_fields=["status", "updated_at"])
    queue_notice(kind=NoticeKind.BOOKING_PAID, booking=booking)
    if status_before == Booking.Status.PENDING:
        return "payment succeeded; booking paid"
    return f"payment succeeded; {status_before.lower()} booking paid and holds the property again"


def _fail(booking: Booking, payment: Payment) -> str:
    payment.status = Payment.Status.FAILED
    payment.save(update_fields=["status", "updated_at"])
    if booking.status != Booking.Status.PENDING:
        return f"payment failed; booking was already {booking.status}"
    end_booking(booking, reason=Booking.EndReason.PAYMENT_FAILED)
    queue_notice(kind=NoticeKind.PAYMENT_FAILED, booking=booking)
    return "payment failed; booking canceled and property released"

