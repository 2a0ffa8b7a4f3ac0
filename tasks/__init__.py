"""Celery tasks: thin and idempotent; each loads a record and calls one domain service."""

from . import maintenance, operations, refunds, webhooks  # noqa: F401  (registers the tasks)
