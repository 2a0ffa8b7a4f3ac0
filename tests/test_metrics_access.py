"""Who may read /metrics: the private network, as NUM_PROXIES says who the client is; with METRICS_TOKEN
set, only a holder of the token."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

# Not a documentation range: Python counts those (198.51.100.0/24...) as private.
PUBLIC, LOAD_BALANCER, OFFICE = "93.184.216.34", "10.0.0.2", "10.1.2.3"


def behind_proxies(count: int):
    # DRF reads NUM_PROXIES from its own settings (the throttles' rule, which /metrics shares).
    return override_settings(NUM_PROXIES=count, REST_FRAMEWORK={"NUM_PROXIES": count})


def test_metrics_are_answered_to_loopback(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert b"luxestate_bookings" in response.content


def test_metrics_are_refused_to_a_client_on_the_internet(client):
    assert client.get("/metrics", REMOTE_ADDR=PUBLIC).status_code == 403


def test_without_proxies_a_forwarded_private_address_is_not_believed(client):
    assert client.get("/metrics", REMOTE_ADDR=PUBLIC, HTTP_X_FORWARDED_FOR=OFFICE).status_code == 403


def test_behind_a_load_balancer_an_internet_client_is_refused_though_the_balancer_is_private(client):
    with behind_proxies(1):
        response = client.get("/metrics", REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=f"{OFFICE}, {PUBLIC}")
    assert response.status_code == 403


def test_behind_a_load_balancer_a_client_on_the_private_network_is_answered(client):
    with behind_proxies(1):
        response = client.get("/metrics", REMOTE_ADDR=LOAD_BALANCER, HTTP_X_FORWARDED_FOR=OFFICE)
    assert response.status_code == 200


@override_settings(METRICS_TOKEN="s3cret-scrape-token")
def test_with_a_token_the_internet_is_answered_with_it(client):
    response = client.get("/metrics", REMOTE_ADDR=PUBLIC, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert response.status_code == 200


@override_settings(METRICS_TOKEN="s3cret-scrape-token")
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "s3cret-scrape-token"])
def test_with_a_token_even_loopback_needs_it(client, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
