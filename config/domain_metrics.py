"""Gauges read from the database and the broker at scrape time: what an operator watches for.

Each is one bounded query over a partial index: the unfinished jobs (the
backlog), the operations finished within METRICS_FINISHED_WINDOW, and the
bookings that hold a property (at most one per property). Bookings that
ended are history and grow without bound, so they are not counted here.
The database's gauges of one scrape are read from one snapshot: they agree.
A dependency that does not answer drops its gauges from this scrape (and is
logged) instead of failing the whole scrape: Prometheus would read that as
the web process being down.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily

from config.celery import app
from domain.bookings.models import Booking
from domain.jobs.models import FINAL_STATUSES, UNFINISHED_STATUSES, JobStatus
from domain.operations.kinds import OPERATION_KINDS
from domain.operations.models import Operation
from domain.payments.models import WebhookEvent

logger = logging.getLogger(__name__)

# The bookings that hold a property: bounded by the catalog (the partial unique constraint).
HOLDING_STATUSES = (Booking.Status.PENDING, Booking.Status.PAID)


def operations() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "luxestate_operations",
        "Operations by kind and status: every unfinished one, and those finished within "
        "METRICS_FINISHED_WINDOW seconds.",
        labels=["kind", "status"],
    )
    since = timezone.now() - timedelta(seconds=settings.METRICS_FINISHED_WINDOW)
    counts = {
        (row["kind"], row["status"]): row["n"]
        for row in Operation.objects.filter(
            Q(status__in=UNFINISHED_STATUSES) | Q(status__in=FINAL_STATUSES, finished_at__gte=since)
        )
        .values("kind", "status")
        .annotate(n=Count("pk"))
    }
    for kind in OPERATION_KINDS:
        for status in JobStatus.values:
            family.add_metric([kind, status], counts.get((kind, status), 0))
    return family


def oldest_unfinished_operation() -> GaugeMetricFamily:
    oldest = Operation.objects.filter(status__in=UNFINISHED_STATUSES).aggregate(at=Min("created_at"))["at"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0
    return GaugeMetricFamily(
        "luxestate_operation_oldest_unfinished_seconds",
        "Age of the oldest operation not final yet (0 when there is none).",
        value=age,
    )


def unapplied_webhook_events() -> GaugeMetricFamily:
    # Waiting for a worker, or given up (FAILED) and waiting for staff to replay them.
    count = WebhookEvent.objects.filter(Q(status__in=UNFINISHED_STATUSES) | Q(status=JobStatus.FAILED)).count()
    return GaugeMetricFamily(
        "luxestate_webhook_events_unapplied",
        "Provider webhook events not applied: waiting for a worker or given up (FAILED).",
        value=count,
    )


def bookings() -> GaugeMetricFamily:
    family = GaugeMetricFamily("luxestate_bookings", "Bookings that hold a property, by status.", labels=["status"])
    counts = dict(Booking.objects.filter(status__in=HOLDING_STATUSES).values_list("status").annotate(n=Count("pk")))
    for status in HOLDING_STATUSES:
        family.add_metric([status], counts.get(status, 0))
    return family


def celery_queue_lengths() -> GaugeMetricFamily | None:
    """Messages waiting in each queue, on a Redis broker (a list per queue); None on another broker."""
    with app.connection_for_read() as connection:
        if connection.transport.driver_type != "redis":
            return None
        pipeline = connection.default_channel.client.pipeline()
        for queue in settings.METRICS_QUEUES:
            pipeline.llen(queue)
        lengths = pipeline.execute()
    family = GaugeMetricFamily(
        "luxestate_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
    )
    for queue, length in zip(settings.METRICS_QUEUES, lengths, strict=True):
        family.add_metric([queue], length)
    return family


DATABASE_GAUGES = (operations, oldest_unfinished_operation, unapplied_webhook_events, bookings)


def database_gauges() -> list[GaugeMetricFamily]:
    """The database's gauges, read from one snapshot, so that they agree with each other (read one by
    one, a booking whose run committed in between could be counted while its operation still looked
    RUNNING). A gauge whose query fails is dropped, the others kept; the database down drops them all."""
    families = []
    # Unless a transaction of the caller's is open already (its snapshot rules then), this one's first
    # statement sets its isolation; SQLite's transactions read one snapshot anyway.
    own_transaction = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if own_transaction and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for gauge in DATABASE_GAUGES:
                try:
                    with transaction.atomic():  # a savepoint: a failed query leaves the snapshot usable
                        families.append(gauge())
                except DatabaseError:
                    logger.exception("metrics: %s not read from the database", gauge.__name__)
    except DatabaseError:
        logger.exception("metrics: the database's gauges not read")
    return families


class DomainCollector:
    def describe(self):
        return []  # nothing read at registration: the database may not be there yet

    def collect(self):
        yield from database_gauges()
        try:
            if (family := celery_queue_lengths()) is not None:
                yield family
        except Exception:  # kombu and redis-py raise many kinds of connection errors
            logger.exception("metrics: the queue lengths not read from the broker")


registry = CollectorRegistry()
registry.register(DomainCollector())
