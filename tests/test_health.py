"""Liveness and readiness on the real PostgreSQL, Redis cache and Redis broker.

Each failure case points one dependency at an address where nothing listens,
so the check meets a real refused connection, not a mock.
"""

import copy

import pytest
from django.db import connections
from rest_framework.throttling import AnonRateThrottle

from api import health
from tests.network import DEAD_REDIS_URL

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


@pytest.mark.parametrize("dead", ["cache", "broker", "database"])
def test_unavailable_naming_what_is_dead(api_client, request, dead):
    request.getfixturevalue(f"dead_{dead}")

    response = api_client.get("/api/health/ready/")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {name: "down" if name == dead else "ok" for name in ("database", "cache", "broker")},
    }
