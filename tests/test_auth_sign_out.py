"""Signing out, changing the password, and the flush of expired refresh tokens."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from domain.users.models import User
from tasks.maintenance import flush_expired_tokens
from tests.support.concurrency import run_at_once
from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("auth-login")
REFRESH = reverse("auth-refresh")
LOGOUT = reverse("auth-logout")
CHANGE = reverse("auth-password-change")
ME = reverse("auth-me")
NEW_PASSWORD = "Difference-Engine-1822"


def log_in(user, password: str = PASSWORD) -> dict:
    response = APIClient().post(LOGIN, {"username": user.username, "password": password})
    assert response.status_code == 200, response.json()
    return response.json()


def jti_of(tokens: dict) -> str:
    return RefreshToken(tokens["refresh"])["jti"]


def bearer(tokens: dict) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def test_logout_is_205_and_its_refresh_token_is_refused_from_then_on(user):
    tokens = log_in(user)

    response = bearer(tokens).post(LOGOUT, {"refresh": tokens["refresh"]})

    assert response.status_code == 205
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


def test_a_refresh_token_issued_before_a_password_change_is_refused_even_if_it_escaped_the_revocation(user):
    # A refresh rotating at the moment of a password change can leave its new
    # refresh token outside the revocation (it was not committed yet): that
    # token still carries the old token version, and must not refresh.
    tokens = log_in(user)
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)

    response = APIClient().post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 401
    assert response.json()["code"] == "password_changed"
    assert OutstandingToken.objects.filter(user=user).count() == 1  # nothing rotated


def test_logout_leaves_the_users_other_sessions_alone(user):
    phone, laptop = log_in(user), log_in(user)

    bearer(phone).post(LOGOUT, {"refresh": phone["refresh"]})

    assert APIClient().post(REFRESH, {"refresh": laptop["refresh"]}).status_code == 200


def test_logout_needs_an_access_token(user):
    tokens = log_in(user)

    assert APIClient().post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 200


def test_logout_with_someone_elses_refresh_token_is_400_and_revokes_nothing(user):
    theirs = log_in(UserFactory())

    response = bearer(log_in(user)).post(LOGOUT, {"refresh": theirs["refresh"]})

    assert response.status_code == 400
    assert list(response.json()) == ["refresh"]
    assert APIClient().post(REFRESH, {"refresh": theirs["refresh"]}).status_code == 200


@pytest.mark.parametrize("refresh", ["not-a-jwt", None], ids=["garbage", "an-access-token"])
def test_logout_with_a_bad_refresh_token_is_401(user, refresh):
    tokens = log_in(user)

    response = bearer(tokens).post(LOGOUT, {"refresh": refresh or tokens["access"]})

    assert response.status_code == 401


def test_a_password_change_is_204_and_revokes_every_token_issued_before(user):
    before, elsewhere = log_in(user), log_in(user)
    rotated = APIClient().post(REFRESH, {"refresh": elsewhere["refresh"]}).json()

    response = bearer(before).post(CHANGE, {"old_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 204
    for tokens in (before, rotated):
        assert bearer(tokens).get(ME).status_code == 401
        assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401
    after = log_in(user, NEW_PASSWORD)
    assert bearer(after).get(ME).status_code == 200
    assert APIClient().post(LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 401


def test_a_password_change_with_the_wrong_old_password_is_400_and_changes_nothing(user):
    tokens = log_in(user)

    response = bearer(tokens).post(CHANGE, {"old_password": "wrong", "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    assert bearer(tokens).get(ME).status_code == 200
    log_in(user, PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_password_changes_sent_at_once_with_the_same_old_password_change_it_once(user):
    # After the first change the old password is wrong: a thief who knows it
    # cannot win a race against the owner's own change and keep the account.
    sessions = [log_in(user) for _ in range(4)]
    new_passwords = [f"{NEW_PASSWORD}-{n}" for n in range(4)]

    answers = run_at_once(
        [
            lambda tokens=tokens, new=new: bearer(tokens).post(CHANGE, {"old_password": PASSWORD, "new_password": new})
            for tokens, new in zip(sessions, new_passwords, strict=True)
        ]
    )

    # A loser is refused for its old password (400), or, authenticated after the
    # winner committed, for its token, which the winner revoked (401).
    codes = sorted(answer.status_code for answer in answers)
    assert codes[0] == 204 and set(codes[1:]) <= {400, 401}, codes
    [set_by] = [new for new, answer in zip(new_passwords, answers, strict=True) if answer.status_code == 204]
    user.refresh_from_db()
    assert user.check_password(set_by)
    assert user.token_version == 1


def test_a_weak_new_password_is_400_and_changes_nothing(user):
    tokens = log_in(user)

    response = bearer(tokens).post(CHANGE, {"old_password": PASSWORD, "new_password": "12345678"})

    assert response.status_code == 400
    assert list(response.json()) == ["new_password"]
    assert bearer(tokens).get(ME).status_code == 200


def test_a_password_change_needs_an_access_token():
    assert APIClient().post(CHANGE, {"old_password": PASSWORD, "new_password": NEW_PASSWORD}).status_code == 401


def test_the_token_version_costs_no_query_more(user, django_assert_num_queries):
    client = bearer(log_in(user))

    with django_assert_num_queries(1):  # the user row, which authentication always read
        assert client.get(ME).status_code == 200


def test_the_flush_deletes_expired_refresh_tokens_and_keeps_the_live_ones(user):
    live = log_in(user)
    expired = log_in(user)
    OutstandingToken.objects.filter(jti=jti_of(expired)).update(expires_at=timezone.now() - timedelta(seconds=1))

    flush_expired_tokens()

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == [jti_of(live)]
    assert APIClient().post(REFRESH, {"refresh": live["refresh"]}).status_code == 200
