"""Asking the provider about payments whose webhook may have been lost, around their booking's end.

The answer is applied exactly as its webhook would be: stored as a webhook
event, identified as a webhook without an event id is (transaction and
status), so that the real webhook arriving later is a duplicate, then run by
the webhook machinery. The provider is asked with no lock held.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from domain.bookings.models import Booking

from . import history
from .models import Payment, WebhookEvent
from .providers.base import ProviderError, WebhookNotice
from .providers.registry import strategy_for

logger = logging.getLogger(__name__)


def payments_to_reconcile():
    """INITIATED payments of PENDING bookings that expire within PAYMENT_RECONCILE_BEFORE_EXPIRY seconds,
    and of bookings that ended (canceled, expired) as long ago or less.

    A customer who paid just before their booking ended is past the first
    window once it ended; the cancel at the provider is then refused (the
    payment succeeded), and without its webhook nothing else would ever
    refund the money or pay the booking with it.
    """
    now = timezone.now()
    window = timedelta(seconds=settings.PAYMENT_RECONCILE_BEFORE_EXPIRY)
    expiring = Q(booking__status=Booking.Status.PENDING, booking__expires_at__lt=now + window)
    just_ended = Q(booking__ended_at__gte=now - window)
    return Payment.objects.filter(expiring | just_ended, status=Payment.Status.INITIATED).order_by(
        "booking__expires_at"
    )


def reconcile_payments() -> list[WebhookEvent]:
    """Ask each provider about the payments to reconcile; returns the events recorded from their answers,
    for the caller to dispatch (the sweep sends any it does not)."""
    events = []
    for payment in payments_to_reconcile():
        try:
            state = strategy_for(payment.provider).retrieve(payment)
        except ProviderError as error:
            logger.warning("could not ask the provider about %s: %s", payment, error)
            continue
        if state.status is not None and (event := _record_answer(payment, state.status)) is not None:
            events.append(event)
    return events


def _record_answer(payment: Payment, status: str) -> WebhookEvent | None:
    notice = WebhookNotice.from_body(
        {"booking_id": payment.booking_id, "transaction_id": payment.transaction_id, "status": status}
    )
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=payment.provider, event_id=notice.event_id, payload=notice.as_payload()
            )
            history.record(
                payment,
                history.Entry.RECONCILED,
                source=history.Source.RECONCILIATION,
                source_id=notice.event_id,
                detail=f"the provider, asked, answered {status}; applied as its webhook",
            )
    except IntegrityError:
        return None  # its webhook came meanwhile
    return event
