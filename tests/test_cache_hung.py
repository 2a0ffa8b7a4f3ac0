"""With the cache's Redis hung (it accepts connections and never answers), the API still answers from
PostgreSQL, and only the request that met the hang waits for it."""

import copy
import io
import logging
import re
import time
from contextlib import contextmanager

import pytest
from rest_framework.test import APIClient

from config.cache_breaker import breaker
from domain.operations.models import Operation
from domain.operations.services import execute_operation
from domain.properties import recommendation_lists
from domain.properties.recommendations import recommended_property_ids
from domain.properties.services import set_property_availability
from tests.support.clients import BOOKING_CREATE_URL, client_for
from tests.support.concurrency import run_at_once
from tests.support.factories import PASSWORD, CategoryFactory, PropertyFactory, UserFactory, create_properties
from tests.support.network import silent_listener
from tests.support.recommendations import expected_ids, get_recommended, list_is_cached
from tests.support.redis_servers import own_redis_server, redis_cli
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db

LOGIN_URL = "/api/auth/login/"


@contextmanager
def cache_at(settings, location: str):
    """The default cache, as configured, on the Redis at `location` (Django drops its cache connections
    on the change)."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = location
    settings.CACHES, configured = caches, settings.CACHES
    try:
        yield
    finally:
        settings.CACHES = configured


@contextmanager
def hung_cache(settings):
    with silent_listener() as port, cache_at(settings, f"redis://127.0.0.1:{port}/0"):
        yield


@contextmanager
def console_output():
    """What the console handler of LOGGING (config/settings.py), every process's log, writes meanwhile."""
    handler = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def timed(function):
    started = time.monotonic()
    result = function()
    return result, time.monotonic() - started


def socket_timeout(settings) -> float:
    return settings.CACHES["default"]["OPTIONS"]["SOCKET_TIMEOUT"]


def test_a_hung_cache_costs_one_request_the_socket_timeout_and_the_next_ones_nothing(
    settings, django_capture_on_commit_callbacks
):
    user, prop = UserFactory(), PropertyFactory()
    client = APIClient()

    def book():
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(BOOKING_CREATE_URL, {"property_id": prop.pk}, format="json")

    with hung_cache(settings):
        login, first = timed(
            lambda: client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD}, format="json")
        )
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
        later = {
            "me": timed(lambda: client.get("/api/auth/me/")),
            "catalog": timed(lambda: client.get("/api/properties/")),
            "search": timed(lambda: client.get("/api/properties/", {"search": prop.title})),
            "recommended": timed(lambda: get_recommended(client, prop.category_id)),
            "booking": timed(book),
        }
        status_url = later["booking"][0].json()["status_url"]
        long_poll, waited = timed(lambda: client.get(status_url, headers={"Prefer": "wait=1"}))

    assert login.status_code == 200
    assert {name: response.status_code for name, (response, _) in later.items()} == {
        "me": 200,
        "catalog": 200,
        "search": 200,
        "recommended": 200,
        "booking": 202,
    }
    assert later["recommended"][0].json()["count"] == 1  # from the database
    # The login met the hang (its throttle), and waited no longer than one socket timeout.
    assert 0.5 < first < socket_timeout(settings) + 0.5, first
    # Then the cache is skipped: nobody waits for it.
    assert {name: took for name, (_, took) in later.items() if took > 0.2} == {}
    # The long poll waits what it asked (1 s), and not a socket timeout more.
    assert (long_poll.status_code, long_poll.json()["status"]) == (200, "PENDING")
    assert 1 <= waited < 1.3, waited


@pytest.mark.django_db(transaction=True)
def test_searches_at_once_into_a_hung_cache_each_wait_one_socket_timeout_at_most(settings):
    # A search calls the cache twice (the anonymous and the search throttles): each call must not wait
    # a timeout of its own, as a web process's threads all would under load.
    prop = PropertyFactory()

    def searches_at_once() -> float:
        """The slowest of 16 searches at once (all found the property)."""
        answers = run_at_once(
            [lambda: timed(lambda: APIClient().get("/api/properties/", {"search": prop.title})) for _ in range(16)]
        )
        assert [response.json()["count"] for response, _ in answers] == [1] * 16
        return max(took for _, took in answers)

    answering = searches_at_once()  # what they cost on this machine with the cache answering
    with hung_cache(settings):
        hung = searches_at_once()

    assert hung < answering + socket_timeout(settings) + 0.4, (answering, hung)


def test_the_cache_is_called_again_after_the_cool_down_and_skipped_throttles_count_again(settings, auth_rate_of_two):
    settings.CACHE_BREAKER_COOLDOWN = 1
    user = UserFactory()
    client = APIClient()

    def login() -> int:
        return client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD}, format="json").status_code

    with hung_cache(settings):
        assert login() == 200  # it met the hang: let through

    # The cache answers again, but this process leaves it alone until the cool-down ends: let through.
    assert [login() for _ in range(3)] == [200] * 3
    time.sleep(settings.CACHE_BREAKER_COOLDOWN)
    assert [login() for _ in range(3)] == [200, 200, 429]


@pytest.mark.django_db(transaction=True)
def test_a_hung_cache_costs_one_booking_run_the_socket_timeout_and_the_next_ones_nothing(settings):
    client = client_for(UserFactory())
    accepted = [client.post(BOOKING_CREATE_URL, {"property_id": PropertyFactory().pk}).json() for _ in range(3)]

    with hung_cache(settings):
        # A run updates the recommendation lists and announces its end, both in the cache.
        runs = [timed(lambda operation=operation: execute_operation(operation["id"])) for operation in accepted]

    assert {operation.status for operation, _ in runs} == {Operation.Status.SUCCEEDED}
    first, *later = [took for _, took in runs]
    assert first < socket_timeout(settings) + 0.5, first
    assert all(took < 0.3 for took in later), later


@pytest.mark.django_db(transaction=True)
def test_a_list_whose_update_the_hang_made_fail_is_not_served_stale_once_the_cache_answers(settings, monkeypatch):
    settings.CACHE_BREAKER_COOLDOWN = 1
    # The background retry of the failed drop comes later than the first read (its first delay: 0.5 s).
    monkeypatch.setattr(recommendation_lists, "DROP_RETRY_DELAYS", (2.5, *recommendation_lists.DROP_RETRY_DELAYS))
    root = CategoryFactory()
    props = create_properties([CategoryFactory(parent=root)], 3)

    with own_redis_server() as port, cache_at(settings, f"redis://127.0.0.1:{port}/0"):
        assert len(recommended_property_ids(root.id)) == 3
        assert list_is_cached(root.id)
        # The cache hangs (every client's commands held) for longer than the update's and its drop's
        # socket timeouts, then answers again.
        redis_cli(port, "CLIENT", "PAUSE", "2200", "ALL")
        hung_until = time.monotonic() + 2.2
        set_property_availability([props[0].pk], available=False)  # booked: its update fails, its drop too
        time.sleep(max(0.0, hung_until - time.monotonic()))
        wait_until(lambda: not breaker.is_open(), 5, "the cache's breaker to close", interval=0.01)
        assert list_is_cached(root.id)  # in Redis still, stale: its drop waits for its retry

        assert list(recommended_property_ids(root.id)[:]) == expected_ids(root)


def test_a_hung_cache_is_logged_with_one_traceback_and_each_call_skipped_meanwhile_in_one_line(settings):
    prop = PropertyFactory()
    client = APIClient()

    with hung_cache(settings), console_output() as output:
        for _ in range(3):
            client.get("/api/properties/", {"search": prop.title})
            get_recommended(client, prop.category_id)

    log = output.getvalue()
    records = re.split(r"\n(?=\d{4}-\d\d-\d\d )", log.strip())
    # The call that met the hang, and the breaker opening on it.
    assert len([record for record in records if "Traceback" in record]) == 1, log
    assert log.count(f"the cache failed; not calling it for {settings.CACHE_BREAKER_COOLDOWN} s") == 1, log
    # The calls skipped meanwhile (throttles, recommendations) are a line each, that says why.
    skipped = [
        record for record in records if record.endswith("it failed less than CACHE_BREAKER_COOLDOWN seconds ago")
    ]
    assert len(skipped) >= 5, log
