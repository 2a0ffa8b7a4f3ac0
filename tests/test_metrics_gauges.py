"""The database's gauges at scrape time (config/domain_metrics.py): one snapshot, so that they agree."""

import threading

import pytest
from django.db import connection
from prometheus_client.core import GaugeMetricFamily

from config import domain_metrics
from tests.support.factories import BookingFactory

# The gauges' own transaction sets its isolation: no test transaction around them.
pytestmark = pytest.mark.django_db(transaction=True)


def pending_bookings(families) -> float:
    family = next(family for family in families if family.name == "luxestate_bookings")
    return next(sample.value for sample in family.samples if sample.labels == {"status": "PENDING"})


def test_a_booking_committed_while_the_gauges_are_read_is_in_all_of_them_or_in_none(monkeypatch):
    # Read one by one, a booking whose run committed between two reads was
    # counted while its operation still looked unfinished.
    def booking_committed_elsewhere() -> GaugeMetricFamily:
        def book():
            try:
                BookingFactory()
            finally:
                connection.close()

        thread = threading.Thread(target=book)
        thread.start()
        thread.join(10)
        return GaugeMetricFamily("between", "a booking committed by another connection meanwhile", value=1)

    monkeypatch.setattr(
        domain_metrics,
        "DATABASE_GAUGES",
        (domain_metrics.operations, booking_committed_elsewhere, domain_metrics.bookings),
    )

    assert pending_bookings(domain_metrics.database_gauges()) == 0
    assert pending_bookings(domain_metrics.database_gauges()) == 1  # the next scrape's snapshot has it
