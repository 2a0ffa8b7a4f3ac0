"""With SECURE_SSL_REDIRECT on, plain HTTP is redirected to HTTPS, except what load balancers and
Prometheus ask the instance itself."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def redirecting(settings):
    settings.SECURE_SSL_REDIRECT = True
    return Client()


@pytest.mark.parametrize("path", ["/api/health/", "/api/health/ready/", "/metrics"])
def test_health_checks_and_metrics_are_answered_over_http(redirecting, path):
    assert redirecting.get(path).status_code != 301


def test_anything_else_is_redirected_to_https(redirecting):
    response = redirecting.get("/api/properties/?page=2")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/properties/?page=2"
