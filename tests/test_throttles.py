"""The API's rate limits (api/throttles.py): a sliding window per client, counted atomically in Redis."""

import time

import pytest
import redis
from rest_framework.test import APIClient

from api.throttles import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle
from tests.support.clients import client_for
from tests.support.concurrency import run_at_once
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
ME = "/api/auth/me/"
CATEGORIES = "/api/categories/"


def failed_login() -> int:
    return APIClient().post(LOGIN, {"username": "nobody", "password": "wrong"}, format="json").status_code


def test_logins_arriving_together_get_no_more_attempts_than_the_rate(auth_rate_of_two):
    # Counting by reading the history and writing it back let every request
    # that read it before the others wrote through: 20 at once passed a limit of 2.
    statuses = run_at_once([failed_login] * 20)

    assert sorted(statuses) == [401, 401] + [429] * 18


def test_a_throttled_answer_says_when_the_oldest_request_leaves_the_window(auth_rate_of_two):
    assert [failed_login() for _ in range(2)] == [401, 401]

    throttled = APIClient().post(LOGIN, {"username": "nobody", "password": "wrong"}, format="json")

    assert throttled.status_code == 429
    assert 58 <= int(throttled["Retry-After"]) <= 60


def test_a_refused_request_does_not_count_against_the_window(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "1/s")
    assert failed_login() == 401
    time.sleep(0.5)
    assert [failed_login() for _ in range(3)] == [429] * 3

    time.sleep(0.6)

    # The first left the window; the refused ones, half a second younger, were never in it.
    assert failed_login() == 401


def test_an_anonymous_client_counts_against_the_anonymous_rate_and_a_user_against_the_users_own(monkeypatch):
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "3/min")
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "2/min")
    anonymous, signed_in = APIClient(), client_for(UserFactory())

    assert [anonymous.get(CATEGORIES).status_code for _ in range(4)] == [200, 200, 200, 429]
    # From the same address: the user's own budget, whatever the address spent.
    assert [signed_in.get(ME).status_code for _ in range(3)] == [200, 200, 429]


def test_on_a_cache_that_is_not_redis_the_limits_still_hold(settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "2/min")

    assert [APIClient().get(CATEGORIES).status_code for _ in range(3)] == [200, 200, 429]


@pytest.fixture
def redis_commands(monkeypatch):
    """The names of the commands this process sends to Redis, in order (each still sent)."""
    sent = []
    send = redis.Redis.execute_command

    def recorded(client, *args, **options):
        sent.append(args[0])
        return send(client, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", recorded)
    return sent


@pytest.mark.parametrize("path, signed_in", [(CATEGORIES, False), (ME, True)])
def test_a_request_is_counted_in_one_round_trip_to_redis(redis_commands, path, signed_in):
    client = client_for(UserFactory()) if signed_in else APIClient()
    assert client.get(path).status_code == 200  # the script is loaded by the first
    redis_commands.clear()

    assert client.get(path).status_code == 200

    assert redis_commands == ["EVALSHA"]
