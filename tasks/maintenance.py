"""Periodic tasks run by celery beat (schedule in config/settings.py)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from domain.bookings.services import expire_stale_bookings as expire_stale_bookings_service
from domain.operations.services import take_stale_operations

from .operations import dispatch_operation

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
    stale = take_stale_operations(older_than)
    for operation_id, kind in stale:
        logger.warning("re-dispatching stale operation %s (%s)", operation_id, kind)
        dispatch_operation(operation_id, kind)
    return len(stale)
