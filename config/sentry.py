"""Error reports to Sentry, from web, worker and beat, when SENTRY_DSN is set; nothing at all without it."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from .cache_breaker import logs_a_skipped_call


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float) -> bool:
    """Start reporting to `dsn`; returns whether it did (not without a DSN)."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        # The beat schedule's tasks become Sentry cron monitors: a sweep that stops running is reported.
        integrations=[DjangoIntegration(), CeleryIntegration(monitor_beat_tasks=True)],
        # Users' emails and addresses stay here.
        send_default_pii=False,
        before_send=_not_a_skipped_cache_call,
    )
    return True


def _not_a_skipped_cache_call(event: dict, hint: dict) -> dict | None:
    """No report for a line logged by a call the cache's breaker skipped: the failure that opened the
    breaker was reported, and an outage would otherwise be a report per call."""
    record = hint.get("log_record")
    return None if record is not None and logs_a_skipped_call(record) else event
