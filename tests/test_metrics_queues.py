"""luxestate_celery_queue_length on GET /metrics: every queue the worker consumes, so that a backlog on any
of them shows (the Procfile's worker: bookings, payments, webhooks, notices, maintenance)."""

import pytest

from tests.support.factories import UserFactory
from tests.support.metrics_text import value

# The request's notice is published after its commit, to the test broker.
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_notice_waiting_for_a_worker_shows_in_the_length_of_the_notices_queue(api_client, client, celery_app):
    UserFactory(email="ada@example.com")

    assert api_client.post("/api/auth/password/reset/", {"email": "ada@example.com"}).status_code == 202
    scraped = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert scraped.status_code == 200
    assert value(scraped.content.decode(), "luxestate_celery_queue_length", queue="notices") == 1
