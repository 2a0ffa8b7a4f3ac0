"""Liveness and readiness on the real PostgreSQL, Redis cache and Redis broker.

Each failure case points one dependency at an address where nothing listens,
so the check meets a real refused connection, not a mock.
"""

import copy
import time

import pytest
from django.db import connections
from rest_framework.throttling import AnonRateThrottle

from api import health
from tests.support.concurrency import run_at_once
from tests.support.network import DEAD_REDIS_URL, silent_listener
from tests.support.workers import broker_at

DEAD_POSTGRES_PORT = "5439"
UNREACHABLE_ALIAS = "unreachable"

pytestmark = pytest.mark.django_db


def test_health_answers_ok_without_credentials(api_client):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_database_cache_and_broker_answer(api_client):
    response = api_client.get("/api/health/ready/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
    }


def test_ready_ignores_a_bad_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get("/api/health/ready/")

    assert response.status_code == 200


def test_ready_is_not_throttled(api_client, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})

    statuses = {api_client.get("/api/health/ready/").status_code for _ in range(5)}

    assert statuses == {200}


@pytest.fixture
def dead_cache(settings):
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = DEAD_REDIS_URL
    # Changing CACHES makes Django drop its cache connections, so the check
    # talks to the dead address.
    settings.CACHES = caches


@pytest.fixture
def dead_database(monkeypatch):
    """A second alias with the test database's settings on a port where nothing listens."""
    settings_dict = copy.deepcopy(connections.settings["default"])
    settings_dict["PORT"] = DEAD_POSTGRES_PORT
    connections.settings[UNREACHABLE_ALIAS] = settings_dict
    monkeypatch.setattr(health, "DATABASE_ALIAS", UNREACHABLE_ALIAS)
    yield
    connections[UNREACHABLE_ALIAS].close()
    del connections[UNREACHABLE_ALIAS]
    del connections.settings[UNREACHABLE_ALIAS]


@pytest.mark.parametrize(
    ("dead", "status_code", "status"),
    [
        ("database", 503, "unavailable"),
        # The instance still serves: cache misses go to the database, operations
        # are recorded and sent when the broker is back (API.md).
        ("cache", 200, "degraded"),
        ("broker", 200, "degraded"),
    ],
)
def test_readiness_names_what_is_dead_and_is_503_only_for_the_database(api_client, request, dead, status_code, status):
    request.getfixturevalue(f"dead_{dead}")

    response = api_client.get("/api/health/ready/")

    assert response.status_code == status_code
    assert response.json() == {
        "status": status,
        "checks": {name: "down" if name == dead else "ok" for name in ("database", "cache", "broker")},
    }


@pytest.mark.django_db(transaction=True)
def test_readiness_answers_within_3_s_when_cache_and_broker_hang(api_client, settings):
    with silent_listener() as port:
        caches = copy.deepcopy(settings.CACHES)
        caches["default"]["LOCATION"] = f"redis://127.0.0.1:{port}/0"
        settings.CACHES = caches
        with broker_at(f"redis://127.0.0.1:{port}/0"):
            started = time.monotonic()
            response = api_client.get("/api/health/ready/")
            took = time.monotonic() - started

    assert took < 3
    assert (response.status_code, response.json()) == (
        200,
        {"status": "degraded", "checks": {"database": "ok", "cache": "down", "broker": "down"}},
    )


def test_the_cache_is_ok_to_probes_from_several_instances_at_once():
    # Every instance's load balancer probes readiness on its own schedule; they share one Redis.
    answers = []
    for _ in range(20):
        answers += run_at_once([health.check_cache] * 8)

    assert answers.count(True) == len(answers), answers
