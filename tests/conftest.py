import django_otp
import pytest
from django.core.cache import cache
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from tasks.jobs import breaker
from tests.factories import UserFactory
from tests.network import DEAD_REDIS_URL, RABBITMQ_URL, rabbitmq_answers
from tests.waiting import wait_until
from tests.workers import (  # noqa: F401
    broker_at, celery_app, celery_worker_parameters, start_beat_process, start_worker_process,
)

BOOKING_CREATE_URL = "/api/bookings/create/"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (its own Redis database)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _closed_breaker():
    """Each test starts with this process publishing: a test with a dead broker trips its breaker."""
    breaker.reset()
    yield
    breaker.reset()


@pytest.fixture
def auth_rate_of_two(monkeypatch):
    """The auth throttle's rate is two a minute. DRF reads the rates into the class when it is defined,
    so the setting cannot be overridden per test: the class attribute is patched instead."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})


@pytest.fixture
def api_client():
    return APIClient()


def token_for(user) -> str:
    """An access token of `user`."""
    return str(RefreshToken.for_user(user).access_token)


def client_for(user) -> APIClient:
    """An API client that sends `user`'s access token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, its session also verified by a second factor (a TOTP device), as
    the admin requires: signed in the way a staff member is once their token was accepted."""
    client.force_login(admin_user)
    request = HttpRequest()
    request.user, request.session = admin_user, client.session
    django_otp.login(request, TOTPDevice.objects.create(user=admin_user, name="phone"))
    request.session.save()
    return client


@pytest.fixture
def dead_broker():
    """Celery's broker is an address where nothing listens: every publish fails."""
    with broker_at(DEAD_REDIS_URL):
        yield


@pytest.fixture
def rabbitmq_broker():
    """Celery's broker is RabbitMQ (skipped where none answers)."""
    if not rabbitmq_answers():
        pytest.skip(f"no RabbitMQ at {RABBITMQ_URL}")
    with broker_at(RABBITMQ_URL):
        yield


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user):
    return client_for(user)


def wait_for_operation(client, status_url: str, timeout: float = 30) -> dict:
    """Poll an operation's status URL, as a frontend does, until it is final."""
    return wait_until(
        lambda: client.get(status_url).json(), timeout, f"the operation at {status_url} to be final",
        met=lambda body: body["status"] in ("SUCCEEDED", "FAILED"),
    )
