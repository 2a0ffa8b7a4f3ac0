import django_otp
import pytest
from django.core.cache import cache
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from config import cache_breaker
from tasks import jobs
from tests.support.clients import client_for
from tests.support.factories import UserFactory
from tests.support.network import DEAD_REDIS_URL, RABBITMQ_URL, rabbitmq_answers
from tests.support.payments import GatedStripe
from tests.support.workers import (  # noqa: F401
    broker_at,
    celery_app,
    celery_worker_parameters,
    start_beat_process,
    start_worker_process,
)

# The fixtures that start processes of their own: a test using one is in the slow lane.
PROCESS_FIXTURES = {"start_worker_process", "start_beat_process"}


def pytest_collection_modifyitems(items):
    """Mark `processes` the tests that start worker or beat processes (the others mark themselves)."""
    for item in items:
        if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.processes)


@pytest.fixture(autouse=True)
def _closed_breakers():
    """Each test starts with this process publishing and calling the cache: a test with a dead broker
    or cache trips its breaker. First, so that the cache is emptied through a closed one."""
    breakers = (jobs.breaker, cache_breaker.breaker)
    for breaker in breakers:
        breaker.reset()
    yield
    for breaker in breakers:
        breaker.reset()


@pytest.fixture(autouse=True)
def _empty_cache(_closed_breakers):
    """Each test starts with an empty cache (its own Redis database)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def auth_rate_of_two(monkeypatch):
    """The auth throttle's rate is two a minute. DRF reads the rates into the class when it is defined,
    so the setting cannot be overridden per test: the class attribute is patched instead."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "2/min"})


@pytest.fixture
def api_client():
    return APIClient()


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
def gated_stripe(settings):
    """STRIPE is a provider that waits for the test's `GatedStripe.may_answer` before it starts a payment."""
    settings.PAYMENT_STRATEGIES = {**settings.PAYMENT_STRATEGIES, "STRIPE": "tests.support.payments.GatedStripe"}
    GatedStripe.reset()
    yield GatedStripe
    GatedStripe.may_answer.set()  # a thread still waiting on it ends


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user):
    return client_for(user)
