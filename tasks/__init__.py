"""Celery tasks: thin and idempotent; each loads a record and calls one domain service."""

from . import maintenance, notices, observability, operations, refunds, webhooks  # noqa: F401  (registers the tasks and their signals)
