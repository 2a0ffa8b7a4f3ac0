"""Applying stored provider webhook events (queue "webhooks", see CELERY_TASK_ROUTES)."""

import logging

from celery import shared_task

from domain.payments.webhooks import apply_webhook_event as apply_webhook_event_service

from .retries import RETRY_TRANSIENT_DATABASE_ERRORS

logger = logging.getLogger(__name__)


def dispatch_webhook_event(event_pk: int, expires: int | None = None) -> None:
    """Queue the applying of a stored event; `expires` seconds later an unconsumed message is dropped."""
    apply_webhook_event.apply_async(args=[event_pk], expires=expires)


@shared_task(**RETRY_TRANSIENT_DATABASE_ERRORS)
def apply_webhook_event(event_pk: int) -> None:
    event = apply_webhook_event_service(event_pk)
    if event is not None:
        logger.info("webhook event %s %s is %s: %s", event.provider, event.event_id, event.state, event.outcome)
