"""Long-poll on the status URL: `Prefer: wait=N` answers as soon as the operation is final, or after N seconds."""

import threading
import time

import pytest
from django.db import connection

from api.operations import waiting
from domain.cache_redis import cache_redis
from domain.operations.models import Operation
from domain.operations.services import execute_operation
from tests.support.clients import BOOKING_CREATE_URL
from tests.support.factories import PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True)


def pending_operation(client) -> dict:
    """A booking accepted while no worker runs it: it stays PENDING until the test runs it."""
    return client.post(BOOKING_CREATE_URL, {"property_id": PropertyFactory().pk}).json()


def timed_get(client, url, prefer=None):
    headers = {"Prefer": prefer} if prefer else {}
    started = time.monotonic()
    response = client.get(url, headers=headers)
    return response, time.monotonic() - started


def run_later(seconds: float, function) -> threading.Thread:
    def later():
        time.sleep(seconds)
        try:
            function()
        finally:
            connection.close()

    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    return thread


def test_a_long_poll_answers_as_soon_as_the_operation_is_final(auth_client):
    operation = pending_operation(auth_client)
    worker = run_later(0.3, lambda: execute_operation(operation["id"]))

    response, took = timed_get(auth_client, operation["status_url"], "wait=10")
    worker.join(10)

    assert response.json()["status"] == "SUCCEEDED"
    assert response["Preference-Applied"] == "wait=10"
    # Woken by the worker's message, not by the once-a-second look at the database.
    assert 0.3 <= took < 0.8, took


def test_a_long_poll_of_a_pending_operation_is_held_about_n_seconds(auth_client):
    operation = pending_operation(auth_client)

    response, took = timed_get(auth_client, operation["status_url"], "wait=2")

    assert 2 <= took < 3, took
    assert response.json()["status"] == "PENDING"
    assert (response["Preference-Applied"], response["Retry-After"]) == ("wait=2", "1")


def test_past_the_waiter_cap_a_long_poll_is_answered_at_once(auth_client, settings):
    settings.LONG_POLL_MAX_WAITERS = 1
    operation = pending_operation(auth_client)
    first = []
    first_waiter = run_later(0, lambda: first.append(timed_get(auth_client, operation["status_url"], "wait=2")))
    time.sleep(0.3)  # the first request holds the one slot

    response, took = timed_get(auth_client, operation["status_url"], "wait=2")
    first_waiter.join(10)

    assert took < 0.5 and "Preference-Applied" not in response
    assert response.json()["status"] == "PENDING"
    assert first[0][0]["Preference-Applied"] == "wait=2" and first[0][1] >= 2


@pytest.mark.parametrize(
    ("prefer", "applied"),
    [
        (None, None),
        ("wait=0", None),
        ("wait=soon", None),
        ("respond-async", None),
        ("wait=5", "wait=5"),
        ("respond-async, wait=99", "wait=20"),  # at most 20 s
    ],
)
def test_a_final_operation_is_answered_at_once_whatever_the_preference(auth_client, prefer, applied):
    operation = pending_operation(auth_client)
    execute_operation(operation["id"])

    response, took = timed_get(auth_client, operation["status_url"], prefer)

    assert took < 0.5
    assert response.json()["status"] == "SUCCEEDED"
    assert response.get("Preference-Applied") == applied


def test_without_a_wait_preference_a_pending_operation_is_answered_at_once(auth_client):
    operation = pending_operation(auth_client)

    response, took = timed_get(auth_client, operation["status_url"], "wait=abc")

    assert took < 0.5 and response.json()["status"] == Operation.Status.PENDING


def finished_without_a_message(monkeypatch, operation_id) -> None:
    """Run the operation with its announcement lost, as when the worker's publish fails after its commit."""
    monkeypatch.setattr(Operation, "announce_final", lambda self: None)
    execute_operation(operation_id)


def test_a_lost_message_is_made_up_for_by_the_slow_look_of_a_subscribed_waiter(auth_client, monkeypatch):
    monkeypatch.setattr(waiting, "SUBSCRIBED_FALLBACK_INTERVAL", 1.5)
    operation = pending_operation(auth_client)
    worker = run_later(0.3, lambda: finished_without_a_message(monkeypatch, operation["id"]))

    response, took = timed_get(auth_client, operation["status_url"], "wait=10")
    worker.join(10)

    assert response.json()["status"] == "SUCCEEDED"
    # Not the once-a-second look of a process without a subscription, nor the deadline.
    assert 1.2 <= took < 2.5, took


def test_a_lost_subscription_has_every_waiter_look_again_at_once(auth_client, monkeypatch):
    monkeypatch.setattr(waiting, "SUBSCRIBED_FALLBACK_INTERVAL", 30)
    operation = pending_operation(auth_client)
    worker = run_later(0.3, lambda: finished_without_a_message(monkeypatch, operation["id"]))
    cut = run_later(0.8, lambda: cache_redis().client_kill_filter(_type="pubsub"))

    response, took = timed_get(auth_client, operation["status_url"], "wait=10")
    worker.join(10)
    cut.join(10)

    assert response.json()["status"] == "SUCCEEDED"
    assert 0.8 <= took < 1.5, took
