"""Malformed requests at the edges of the API: each a clear 4xx in JSON, never a 500."""

import copy
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from domain.operations.models import Operation
from tests.support.clients import BOOKING_CREATE_URL
from tests.support.factories import PASSWORD, BookingFactory, PropertyFactory, UserFactory
from tests.support.network import DEAD_REDIS_URL
from tests.support.recommendations import get_recommended

pytestmark = pytest.mark.django_db


def strict_client(**credentials) -> APIClient:
    """A client that answers a server error with a 500, instead of raising it in the test."""
    client = APIClient(raise_request_exception=False)
    client.credentials(**credentials)
    return client


def post_raw(client, url: str, raw: bytes, **headers):
    return client.generic("POST", url, raw, content_type="application/json", **headers)


@pytest.mark.parametrize("nested", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000])
@pytest.mark.parametrize("url", ["/api/auth/login/", "/api/auth/register/", BOOKING_CREATE_URL])
def test_json_nested_too_deeply_is_a_400(auth_client, url, nested):
    response = post_raw(auth_client, url, nested.encode())

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        '{"booking_id": %d, "provider": "\\ud800"}',
        '{"booking_id": %d, "provider": "STRIPE", "payload": {"\\ud800": "x"}}',
        '{"booking_id": %d, "provider": "STRIPE", "payload": {"description": "\\udfff"}}',
    ],
)
def test_a_lone_surrogate_is_a_400(body):
    booking = BookingFactory()
    client = strict_client()
    client.force_authenticate(booking.user)

    response = post_raw(client, "/api/payments/initiate/", (body % booking.pk).encode())

    assert response.status_code == 400
    assert "not valid Unicode" in response.json()["detail"]
    assert not Operation.objects.exists()


@pytest.mark.parametrize("url", [BOOKING_CREATE_URL, "/api/payments/webhook/bkash/"])
def test_a_body_over_the_limit_is_a_json_400(settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = strict_client()
    client.force_authenticate(UserFactory())

    response = post_raw(client, url, json.dumps({"property_id": 1, "pad": "x" * 1000}).encode())

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is too large."}
    assert not Operation.objects.exists()


def test_refreshing_the_token_of_a_deleted_user_is_a_401(api_client):
    user = UserFactory()
    refresh = api_client.post("/api/auth/login/", {"username": user.username, "password": PASSWORD}).json()["refresh"]
    user.delete()

    response = strict_client().post("/api/auth/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found for the given token."}


@pytest.mark.parametrize(
    "path",
    ["categories/", "properties/", "properties/{slug}/", "properties/recommended/?category_id={category}", "schema/"],
)
def test_public_endpoints_ignore_a_garbage_token(path):
    prop = PropertyFactory()
    client = strict_client(HTTP_AUTHORIZATION="Bearer garbage")

    response = client.get("/api/" + path.format(slug=prop.slug, category=prop.category_id))

    assert response.status_code == 200


def test_a_forged_forwarded_for_does_not_dodge_the_login_throttle(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "3/min")
    client = strict_client()

    statuses = [
        client.post(
            "/api/auth/login/", {"username": "x", "password": "y"}, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(5)
    ]

    assert statuses == [401, 401, 401, 429, 429]


@pytest.mark.parametrize(
    "path", ["/api/nope/", "/api/bookings/abc/", "/api/bookings/-1/", "/api/operations/not-a-uuid/"]
)
def test_an_unknown_api_url_is_a_json_404(auth_client, path):
    response = auth_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_url_outside_the_api_is_still_a_page():
    response = Client().get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_browser_asking_for_html_gets_json(api_client):
    prop = PropertyFactory()

    response = api_client.get(
        f"/api/properties/recommended/?category_id={prop.category_id}", HTTP_ACCEPT="text/html,*/*;q=0.8"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert [p["id"] for p in response.json()["results"]] == [prop.pk]


def test_the_schema_describes_registration(api_client):
    schema = api_client.get("/api/schema/?format=json").json()

    register = schema["paths"]["/api/auth/register/"]["post"]
    assert "requestBody" in register
    assert "201" in register["responses"]


def test_with_the_cache_down_every_endpoint_that_uses_it_still_answers(settings, django_capture_on_commit_callbacks):
    dead_cache = copy.deepcopy(settings.CACHES)
    dead_cache["default"]["LOCATION"] = DEAD_REDIS_URL
    settings.CACHES = dead_cache  # Django drops its cache connections on the change
    user = UserFactory()
    prop = PropertyFactory()
    client = strict_client()

    # Throttled (the counters live in the cache): it lets the request through.
    login = client.post("/api/auth/login/", {"username": user.username, "password": PASSWORD}, format="json")
    assert login.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    assert client.get("/api/properties/").status_code == 200
    # Recommendations read from the database, and the booking's eviction is dropped.
    assert get_recommended(client, prop.category_id).json()["count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        booked = client.post(BOOKING_CREATE_URL, {"property_id": prop.pk}, format="json")
    assert booked.status_code == 202
