"""Applying stored provider webhook events (queue "webhooks", see CELERY_TASK_ROUTES)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from domain.payments.webhooks import apply_webhook_event as apply_webhook_event_service
from domain.payments.webhooks import take_undispatched_events

logger = logging.getLogger(__name__)


def dispatch_webhook_event(event_pk: int) -> None:
    apply_webhook_event.delay(event_pk)


@shared_task(
    # A deadlock or a lost connection is worth another try; the event stays
    # RECEIVED meanwhile, and the sweeper picks it up if the retries run out.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=5,
)
def apply_webhook_event(event_pk: int) -> None:
    event = apply_webhook_event_service(event_pk)
    if event is not None:
        logger.info("webhook event %s %s is %s: %s", event.provider, event.event_id, event.state, event.outcome)


@shared_task
def redispatch_unprocessed_webhook_events() -> int:
    older_than = timezone.now() - timedelta(seconds=settings.WEBHOOK_STALE_AFTER)
    stale = take_undispatched_events(older_than)
    for event_pk in stale:
        logger.warning("re-dispatching webhook event %s, still unapplied", event_pk)
        dispatch_webhook_event(event_pk)
    return len(stale)
