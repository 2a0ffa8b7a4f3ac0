"""Running refunds (queue "payments"); each is recorded by the domain and sent by the sweep."""

import logging

from celery import shared_task

from domain.payments.models import Refund
from domain.payments.refunds import run_refund as run_refund_service

from .jobs import run_job_task, runs_jobs_of
from .retries import RETRY_TRANSIENT_DATABASE_ERRORS

logger = logging.getLogger(__name__)


@runs_jobs_of(Refund)
@shared_task(**RETRY_TRANSIENT_DATABASE_ERRORS)
def run_refund(refund_pk: str) -> None:
    refund = run_job_task(Refund, refund_pk, run_refund_service)
    if refund is not None:
        logger.info("refund %s of payment %s: %s", refund.pk, refund.payment_id, refund.outcome)
