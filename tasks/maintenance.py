"""Periodic tasks run by celery beat (schedule in config/settings.py)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from domain.bookings.services import expire_stale_bookings as expire_stale_bookings_service
from domain.operations.services import take_stale_operations
from domain.payments.webhooks import take_unapplied_events

from .operations import dispatch_operation
from .webhooks import dispatch_webhook_event

logger = logging.getLogger(__name__)


@shared_task
def expire_stale_bookings() -> int:
    expired = expire_stale_bookings_service()
    if expired:
        logger.info("expired %d stale bookings", expired)
    return expired


@shared_task
def redispatch_stale_operations() -> int:
    older_than = timezone.now() - timedelta(seconds=settings.OPERATION_STALE_AFTER)
    stale = take_stale_operations(older_than, settings.OPERATION_MAX_REDISPATCHES)
    for operation_id, kind in stale:
        logger.warning("re-dispatching stale operation %s (%s)", operation_id, kind)
        # Expiring with the next sweep: during an outage, copies never pile up.
        dispatch_operation(operation_id, kind, expires=settings.OPERATION_STALE_AFTER)
    return len(stale)


@shared_task
def redispatch_unapplied_webhook_events() -> int:
    older_than = timezone.now() - timedelta(seconds=settings.WEBHOOK_STALE_AFTER)
    stale = take_unapplied_events(older_than, settings.WEBHOOK_MAX_ATTEMPTS)
    for event_pk in stale:
        logger.warning("re-dispatching webhook event %s, still unapplied", event_pk)
        # Expiring with the next sweep: during an outage, copies never pile up.
        dispatch_webhook_event(event_pk, expires=settings.WEBHOOK_STALE_AFTER)
    return len(stale)
