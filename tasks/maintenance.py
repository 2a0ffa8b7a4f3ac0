"""Periodic tasks run by celery beat (schedule in config/settings.py)."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.management import call_command

from domain.bookings.services import expire_stale_bookings as expire_stale_bookings_service
from domain.jobs.retention import purge_finished
from domain.jobs.sweep import take_orphans
from domain.notices.expiry_warnings import warn_expiring_bookings as warn_expiring_bookings_service
from domain.payments.reconciliation import reconcile_payments as reconcile_payments_service

from . import notices, operations, refunds, webhooks  # noqa: F401  (they register their job kinds' tasks)
from .jobs import JOB_TASKS, dispatch

logger = logging.getLogger(__name__)


@shared_task
def expire_stale_bookings() -> int:
    expired = expire_stale_bookings_service()
    if expired:
        logger.info("expired %d stale bookings", expired)
    return expired


@shared_task
def warn_expiring_bookings() -> int:
    """Queue the notice of each hold ending within BOOKING_EXPIRY_WARNING seconds (once per booking)."""
    warned = warn_expiring_bookings_service()
    if warned:
        logger.info("warned %d bookings about to expire", warned)
    return warned


@shared_task
def redispatch_jobs() -> int:
    """Send again every job whose message was lost or whose run died (domain/jobs/sweep.py)."""
    sent = 0
    for model in JOB_TASKS:
        for job in take_orphans(model):
            logger.warning("re-dispatching %s %s (%d runs began)", model.__name__, job.pk, job.attempts)
            # Expiring before this job's next look: during an outage, copies never pile up.
            sent += dispatch(job, expires=settings.JOB_REDISPATCH_AFTER)
    return sent


@shared_task
def reconcile_payments() -> int:
    """Ask the providers about payments close to their booking's expiry, and apply what they answer as
    webhooks (domain/payments/reconciliation.py)."""
    events = reconcile_payments_service()
    for event in events:
        logger.warning("reconciled %s %s: its webhook had not come", event.provider, event.event_id)
        dispatch(event)
    return len(events)


@shared_task
def purge_finished_jobs() -> int:
    """Delete jobs final for longer than OPERATION_RETENTION_DAYS (domain/jobs/retention.py)."""
    purged = sum(purge_finished(model) for model in JOB_TASKS)
    if purged:
        logger.info("purged %d finished jobs", purged)
    return purged


@shared_task
def flush_expired_tokens() -> None:
    """Delete the outstanding and blacklisted refresh tokens past their expiry (simplejwt's own command):
    an expired token is refused anyway, so its rows are dead weight."""
    call_command("flushexpiredtokens")
