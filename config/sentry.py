"""Error reports to Sentry, from web, worker and beat, when SENTRY_DSN is set; nothing at all without it."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


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
    )
    return True
