import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from domain.users.models import User
from tests.support.clients import client_for
from tests.support.concurrency import run_at_once
from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = reverse("auth-register")
LOGIN = reverse("auth-login")
REFRESH = reverse("auth-refresh")
ME = reverse("auth-me")
NEW_USER = {
    "username": "ada",
    "email": "ada@example.com",
    "password": "Analytical-Engine-1843",
    "first_name": "Ada",
    "last_name": "Lovelace",
}


def test_register_creates_a_user_who_can_log_in(api_client):
    response = api_client.post(REGISTER, NEW_USER)

    assert response.status_code == 201
    user = User.objects.get(username="ada")
    assert response.json() == {
        "id": user.id,
        "username": "ada",
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
    }
    assert user.check_password(NEW_USER["password"])
    assert api_client.post(LOGIN, {"username": "ada", "password": NEW_USER["password"]}).status_code == 200


def test_register_without_the_optional_names(api_client):
    body = {key: NEW_USER[key] for key in ("username", "email", "password")}

    response = api_client.post(REGISTER, body)

    assert response.status_code == 201
    assert (response.json()["first_name"], response.json()["last_name"]) == ("", "")


def test_register_never_echoes_the_password(api_client):
    response = api_client.post(REGISTER, NEW_USER)

    assert response.status_code == 201
    assert "password" not in response.json()
    assert NEW_USER["password"] not in response.content.decode()


def test_register_refuses_a_taken_username(api_client):
    UserFactory(username="ada")

    response = api_client.post(REGISTER, NEW_USER)

    assert response.status_code == 400
    assert list(response.json()) == ["username"]
    assert User.objects.filter(username="ada").count() == 1


def test_register_refuses_a_username_taken_in_another_case(api_client):
    UserFactory(username="ada")

    response = api_client.post(REGISTER, {**NEW_USER, "username": "ADA"})

    assert response.status_code == 400
    assert response.json() == {"username": ["A user with that username already exists."]}
    assert User.objects.filter(username__iexact="ada").count() == 1


def test_register_refuses_a_username_that_unicode_normalisation_makes_a_taken_one(api_client):
    # Django stores a username in its NFKC form: "ａｄａ" (fullwidth letters) is saved as "ada".
    UserFactory(username="ada")

    response = api_client.post(REGISTER, {**NEW_USER, "username": "\uff41\uff44\uff41"})

    assert response.status_code == 400
    assert response.json() == {"username": ["A user with that username already exists."]}
    assert User.objects.filter(username__iexact="ada").count() == 1


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "1234567890123", "ada-lovelace"],
    ids=["too-short", "common", "numeric", "like-the-username"],
)
def test_register_refuses_a_weak_password(api_client, password):
    response = api_client.post(REGISTER, {**NEW_USER, "username": "ada-lovelace", "password": password})

    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert password not in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize("missing", ["username", "email", "password"])
def test_register_requires_the_field(api_client, missing):
    body = {key: value for key, value in NEW_USER.items() if key != missing}

    response = api_client.post(REGISTER, body)

    assert response.status_code == 400
    assert response.json() == {missing: ["This field is required."]}
    assert not User.objects.exists()


def test_register_refuses_a_malformed_email(api_client):
    response = api_client.post(REGISTER, {**NEW_USER, "email": "not-an-email"})

    assert response.status_code == 400
    assert list(response.json()) == ["email"]


def test_login_returns_a_token_pair_that_authenticates(api_client, user):
    response = api_client.post(LOGIN, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get(ME).json()["id"] == user.id


@pytest.mark.parametrize(
    "username_of", [lambda user: user.username, lambda user: "nobody"], ids=["wrong-password", "unknown-user"]
)
def test_login_with_bad_credentials_is_401(api_client, user, username_of):
    response = api_client.post(LOGIN, {"username": username_of(user), "password": "wrong-password"})

    assert response.status_code == 401
    assert "access" not in response.json()


def test_login_without_a_password_is_400(api_client, user):
    response = api_client.post(LOGIN, {"username": user.username})

    assert response.status_code == 400
    assert list(response.json()) == ["password"]


def test_refresh_returns_a_new_access_token_and_a_new_refresh_token(api_client, user):
    tokens = api_client.post(LOGIN, {"username": user.username, "password": PASSWORD}).json()

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert response.json()["refresh"] != tokens["refresh"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get(ME).json()["username"] == user.username


def test_a_refresh_token_used_twice_is_refused_the_second_time(api_client, user):
    tokens = api_client.post(LOGIN, {"username": user.username, "password": PASSWORD}).json()
    rotated = api_client.post(REFRESH, {"refresh": tokens["refresh"]}).json()

    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    assert api_client.post(REFRESH, {"refresh": rotated["refresh"]}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_refresh_token_sent_several_times_at_once_is_rotated_only_once(user):
    # A stolen refresh token is good once: the thief and the owner refreshing
    # together must not both get a new one, however close their requests come.
    tokens = APIClient().post(LOGIN, {"username": user.username, "password": PASSWORD}).json()

    answers = run_at_once([lambda: APIClient().post(REFRESH, {"refresh": tokens["refresh"]})] * 6)

    assert sorted(answer.status_code for answer in answers) == [200, 401, 401, 401, 401, 401]


def test_refresh_refuses_an_access_token(api_client, user):
    tokens = api_client.post(LOGIN, {"username": user.username, "password": PASSWORD}).json()

    response = api_client.post(REFRESH, {"refresh": tokens["access"]})

    assert response.status_code == 401


def test_me_returns_the_caller(user):
    response = client_for(user).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


def test_me_without_a_token_is_401(api_client):
    assert api_client.get(ME).status_code == 401


def test_me_with_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert api_client.get(ME).status_code == 401


def test_login_is_throttled(api_client, user, auth_rate_of_two):
    body = {"username": user.username, "password": "wrong-password"}

    statuses = [api_client.post(LOGIN, body).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]
    # Even the right password waits now.
    assert api_client.post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 429


def test_register_is_throttled(api_client, auth_rate_of_two):
    statuses = [api_client.post(REGISTER, {**NEW_USER, "username": f"ada{n}"}).status_code for n in range(3)]

    assert statuses == [201, 201, 429]
    assert User.objects.count() == 2


def test_the_auth_throttle_applies_per_client(api_client, user, auth_rate_of_two):
    body = {"username": user.username, "password": PASSWORD}
    for _ in range(2):
        api_client.post(LOGIN, body)

    other_client_response = api_client.post(LOGIN, body, REMOTE_ADDR="10.0.0.2")

    assert other_client_response.status_code == 200
