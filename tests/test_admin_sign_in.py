"""Signing in to the admin: a second factor (TOTP) after the password, and failed logins that back off
per username and address and per address (django-axes), without touching the API's login."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.factories import PASSWORD, UserFactory
from tests.support.otp import current_token

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
API_LOGIN = reverse("auth-login")
ATTACKER, STAFF_DESK = "203.0.113.7", "198.51.100.20"


@pytest.fixture
def staff(db):
    return UserFactory(username="ada", is_staff=True, is_superuser=True)


@pytest.fixture
def phone(staff):
    return TOTPDevice.objects.create(user=staff, name="phone")


def sign_in(client, username: str, password: str = PASSWORD, device: TOTPDevice | None = None, **request):
    fields = {"username": username, "password": password, "next": INDEX}
    if device is not None:
        fields.update(otp_device=device.persistent_id, otp_token=current_token(device))
    return client.post(LOGIN, fields, **request)


def fail_to_sign_in(times: int, username: str = "ada", **request) -> list[int]:
    """Sign in with a wrong password `times` times; the statuses answered (429 once locked out)."""
    return [sign_in(Client(), username, "wrong-password", **request).status_code for _ in range(times)]


def locked_out_at_the_limit(settings) -> list[int]:
    """What failures up to the limit answer: the form again, and the last one locks out."""
    return [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]


def can_use_the_admin(client) -> bool:
    return client.get(INDEX).status_code == 200


# --- the second factor ---------------------------------------------------------------


def test_staff_signed_in_without_a_verified_device_cannot_use_the_admin(client, staff):
    client.force_login(staff)

    assert client.get(INDEX).status_code == 302
    assert not can_use_the_admin(client)


def test_a_password_alone_does_not_sign_staff_in(client, staff, phone):
    response = sign_in(client, "ada")

    assert response.status_code == 200
    assert "Please enter your OTP token." in response.content.decode()
    assert not can_use_the_admin(client)


def test_staff_sign_in_with_their_password_and_the_token_of_their_totp_device(client, staff, phone):
    response = sign_in(client, "ada", device=phone)

    assert response.status_code == 302
    assert can_use_the_admin(client)


def test_a_wrong_token_is_refused(client, staff, phone):
    response = client.post(
        LOGIN, {"username": "ada", "password": PASSWORD, "otp_device": phone.persistent_id, "otp_token": "000000"}
    )

    assert response.status_code == 200
    assert not can_use_the_admin(client)


def test_another_users_device_is_no_second_factor(client, staff):
    someone_elses = TOTPDevice.objects.create(user=UserFactory(), name="theirs")

    sign_in(client, "ada", device=someone_elses)

    assert not can_use_the_admin(client)


# --- failed logins back off ----------------------------------------------------------


def test_failed_logins_lock_that_address_out_but_not_the_staff_member(settings, staff, phone):
    assert fail_to_sign_in(settings.AXES_FAILURE_LIMIT, REMOTE_ADDR=ATTACKER) == locked_out_at_the_limit(settings)
    attacker, staff_member = Client(), Client()

    assert sign_in(attacker, "ada", device=phone, REMOTE_ADDR=ATTACKER).status_code == 429
    assert sign_in(staff_member, "ada", device=phone, REMOTE_ADDR=STAFF_DESK).status_code == 302
    assert can_use_the_admin(staff_member)


def test_guesses_spread_over_usernames_lock_the_address(settings, staff, phone):
    statuses = [fail_to_sign_in(1, f"guess{n}", REMOTE_ADDR=ATTACKER)[0] for n in range(settings.AXES_FAILURE_LIMIT)]

    assert statuses == locked_out_at_the_limit(settings)
    assert sign_in(Client(), "ada", device=phone, REMOTE_ADDR=ATTACKER).status_code == 429


def test_fewer_failures_than_the_limit_lock_nobody_out(settings, staff, phone):
    assert set(fail_to_sign_in(settings.AXES_FAILURE_LIMIT - 1, REMOTE_ADDR=STAFF_DESK)) == {200}

    assert sign_in(Client(), "ada", device=phone, REMOTE_ADDR=STAFF_DESK).status_code == 302


def test_the_lock_lapses_a_cool_off_after_the_last_failure(settings, staff, phone):
    fail_to_sign_in(settings.AXES_FAILURE_LIMIT, REMOTE_ADDR=ATTACKER)
    assert sign_in(Client(), "ada", device=phone, REMOTE_ADDR=ATTACKER).status_code == 429
    last_failure = AccessAttempt.objects.get().attempt_time
    AccessAttempt.objects.update(attempt_time=last_failure - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    assert sign_in(Client(), "ada", device=phone, REMOTE_ADDR=ATTACKER).status_code == 302


def test_without_proxies_a_forged_forwarded_for_is_not_another_address(settings, staff, phone):
    statuses = [
        fail_to_sign_in(1, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")[0]
        for n in range(settings.AXES_FAILURE_LIMIT)
    ]

    assert statuses == locked_out_at_the_limit(settings)
    forged = sign_in(Client(), "ada", device=phone, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert forged.status_code == 429


def test_behind_a_proxy_the_address_is_the_one_it_forwards(settings, staff, phone):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.1.0.2"
    fail_to_sign_in(settings.AXES_FAILURE_LIMIT, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"10.0.0.1, {ATTACKER}")

    assert sign_in(Client(), "ada", device=phone, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert sign_in(Client(), "ada", device=phone, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=STAFF_DESK).status_code == 302


# --- the API's login is left to its own throttle ---------------------------------------


def test_a_locked_out_address_still_logs_in_to_the_api(settings, api_client, staff):
    fail_to_sign_in(settings.AXES_FAILURE_LIMIT, REMOTE_ADDR=ATTACKER)

    response = api_client.post(API_LOGIN, {"username": "ada", "password": PASSWORD}, REMOTE_ADDR=ATTACKER)

    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


def test_failed_api_logins_do_not_count_towards_the_admin_lock(settings, api_client, staff, phone):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        failed = api_client.post(API_LOGIN, {"username": "ada", "password": "wrong"}, REMOTE_ADDR=STAFF_DESK)
        assert failed.status_code == 401

    assert not AccessAttempt.objects.exists()
    assert sign_in(Client(), "ada", device=phone, REMOTE_ADDR=STAFF_DESK).status_code == 302
