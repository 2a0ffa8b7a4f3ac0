"""Applying stored provider webhook events (queue "webhooks")."""

import logging

from celery import shared_task

from domain.payments.models import WebhookEvent
from domain.payments.webhooks import apply_webhook_event as apply_webhook_event_service

from .jobs import run_job_task, runs_jobs_of
from .retries import RETRY_TRANSIENT_DATABASE_ERRORS

logger = logging.getLogger(__name__)


@runs_jobs_of(WebhookEvent)
@shared_task(**RETRY_TRANSIENT_DATABASE_ERRORS)
def apply_webhook_event(event_pk: str) -> None:
    event = run_job_task(WebhookEvent, event_pk, apply_webhook_event_service)
    if event is not None:
        logger.info("webhook event %s %s is %s: %s", event.provider, event.event_id, event.result, event.outcome)
