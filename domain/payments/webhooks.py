"""Provider webhooks: authenticate and store an event, then apply it under the booking's lock."""

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from domain.bookings.locks import lock_booking
from domain.bookings.models import Booking
from domain.bookings.services import end_booking, pay_booking

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


def apply_webhook_event(event_pk: int) -> WebhookEvent | None:
    """Apply a stored event to its booking and payment; a no-op unless it is still RECEIVED.

    The event's state and outcome commit with the change they describe, so
    an event delivered twice to the workers is applied once. The attempt is
    counted first, in a commit of its own.
    """
    WebhookEvent.objects.filter(pk=event_pk, state=WebhookEvent.State.RECEIVED).update(attempts=F("attempts") + 1)
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.state != WebhookEvent.State.RECEIVED:
            return event
        notice = WebhookNotice.from_body(event.payload)
        event.state, event.outcome = _apply_notice(event.provider, notice)
        event.processed_at = timezone.now()
        event.save(update_fields=["state", "outcome", "processed_at"])
    return event


def take_unapplied_events(older_than, max_attempts: int) -> list[int]:
    """Ids of events still RECEIVED whose apply task was last queued before `older_than`, to queue again.

    Their message was lost, or no worker has taken it yet, or its run died.
    Each is marked dispatched now, so it is not taken again before the
    threshold passes once more; one being applied right now (its row locked)
    is skipped. One whose task has begun `max_attempts` times and never
    applied it ends FAILED instead. An event no worker took is never given
    up on: that is an outage, and the money behind it must not be lost.
    """
    with transaction.atomic():
        stale = WebhookEvent.objects.select_for_update(skip_locked=True).filter(
            state=WebhookEvent.State.RECEIVED, dispatched_at__lt=older_than
        )
        given_up = list(stale.filter(attempts__gte=max_attempts).values_list("pk", flat=True))
        retry = list(stale.filter(attempts__lt=max_attempts).values_list("pk", flat=True))
        for event_pk in given_up:
            logger.error("webhook event %s failed to apply %d times: giving up", event_pk, max_attempts)
        WebhookEvent.objects.filter(pk__in=given_up).update(
            state=WebhookEvent.State.FAILED,
            outcome=f"failed to apply {max_attempts} times; see the worker logs",
            processed_at=timezone.now(),
        )
        WebhookEvent.objects.filter(pk__in=retry).update(dispatched_at=timezone.now())
    return retry


def _apply_notice(provider: str, notice: WebhookNotice) -> tuple[str, str]:
    """Apply the rules of API.md under the property's and the booking's locks; returns (state, outcome)."""
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
        return WebhookEvent.State.REJECTED, "rejected: not the transaction of this booking's payment"
    if payment.status == Payment.Status.SUCCESS:
        # SUCCESS is final: a later FAILED, or a second SUCCESS, changes nothing.
        return WebhookEvent.State.APPLIED, "ignored: payment already succeeded"
    if notice.status == "SUCCESS":
        return WebhookEvent.State.APPLIED, _succeed(booking, payment)
    if payment.status == Payment.Status.FAILED:
        return WebhookEvent.State.APPLIED, "ignored: payment already failed"
    return WebhookEvent.State.APPLIED, _fail(booking, payment)


def _succeed(booking: Booking, payment: Payment) -> str:
    payment.status = Payment.Status.SUCCESS
    status_before = booking.status
    if not pay_booking(booking):
        payment.needs_refund = True
        payment.save(update_fields=["status", "needs_refund", "updated_at"])
        return f"payment succeeded; needs a refund: the booking is {booking.status} and its property is taken"
    payment.save(update_fields=["status", "updated_at"])
    if status_before == Booking.Status.PENDING:
        return "payment succeeded; booking paid"
    return f"payment succeeded; {status_before.lower()} booking paid and holds the property again"


def _fail(booking: Booking, payment: Payment) -> str:
    payment.status = Payment.Status.FAILED
    payment.save(update_fields=["status", "updated_at"])
    if booking.status != Booking.Status.PENDING:
        return f"payment failed; booking was already {booking.status}"
    end_booking(booking, reason=Booking.EndReason.PAYMENT_FAILED)
    return "payment failed; booking canceled and property released"

