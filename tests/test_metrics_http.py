"""GET /metrics on a real gunicorn with two processes: every process's HTTP counts in each scrape, and
the gauges read at scrape time follow a booking that a real worker carries out."""

import pytest
from django.conf import settings

from tests.support.clients import BOOKING_CREATE_URL, token_for
from tests.support.factories import PropertyFactory, UserFactory
from tests.support.gunicorn_server import LOOPBACK, gunicorn
from tests.support.metrics_text import value
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


def scrape(server) -> str:
    status, _, body = server.request("GET", "/metrics", LOOPBACK)
    assert status == 200, body
    return body.decode()


@pytest.fixture
def two_processes(tmp_path):
    # The real broker, so that the worker of the test carries the booking out.
    with gunicorn(tmp_path, processes=2, extra_env={"TEST_BROKER_URL": settings.CELERY_BROKER_URL}) as server:
        yield server


def test_every_scrape_counts_the_requests_of_both_gunicorn_processes(two_processes):
    for _ in range(20):
        assert two_processes.request("GET", "/api/health/", LOOPBACK)[0] == 200

    # Whichever process answers a scrape, it adds up both processes' files.
    counts = {
        value(
            scrape(two_processes),
            "django_http_requests_total_by_view_transport_method_total",
            view="health",
            transport="http",
            method="GET",
        )
        for _ in range(8)
    }

    assert counts == {20 + 1}, counts  # the health check gunicorn's start waited on, too


def test_the_gauges_follow_a_booking_from_its_request_to_its_worker(two_processes, start_worker_process):
    prop = PropertyFactory()
    before = scrape(two_processes)
    assert value(before, "luxestate_bookings", status="PENDING") == 0
    assert value(before, "luxestate_operations", kind="booking.create", status="PENDING") == 0
    assert value(before, "luxestate_operation_oldest_unfinished_seconds") == 0

    status, _, accepted = two_processes.json(
        "POST",
        BOOKING_CREATE_URL,
        LOOPBACK,
        {"Authorization": f"Bearer {token_for(UserFactory())}"},
        {"property_id": prop.pk},
    )
    assert status == 202, accepted
    queued = scrape(two_processes)
    assert value(queued, "luxestate_operations", kind="booking.create", status="PENDING") == 1
    assert value(queued, "luxestate_celery_queue_length", queue="bookings") == 1
    assert value(queued, "luxestate_operation_oldest_unfinished_seconds") > 0

    start_worker_process("metrics")
    done = wait_until(
        lambda: scrape(two_processes),
        60,
        "the booking to be made",
        met=lambda text: value(text, "luxestate_bookings", status="PENDING") == 1,
        interval=0.3,
    )
    assert value(done, "luxestate_operations", kind="booking.create", status="SUCCEEDED") == 1
    assert value(done, "luxestate_operations", kind="booking.create", status="PENDING") == 0
    assert value(done, "luxestate_celery_queue_length", queue="bookings") == 0
    assert value(done, "luxestate_operation_oldest_unfinished_seconds") == 0
    assert value(done, "luxestate_webhook_events_unapplied") == 0
