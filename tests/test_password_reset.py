"""A forgotten password: the reset request never tells whether an account exists; its link is one-time."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from domain.notices.models import Notice, NoticeKind
from domain.notices.sending import send_notice
from tests.support.clients import token_for
from tests.support.concurrency import run_at_once
from tests.support.factories import UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("auth-password-reset")
CONFIRM = reverse("auth-password-reset-confirm")
LOGIN = reverse("auth-login")
ME = reverse("auth-me")
NEW_PASSWORD = "Difference-Engine-1822"


@pytest.fixture
def ada():
    return UserFactory(username="ada", email="ada@example.com", first_name="Ada", last_name="Lovelace")


def ask_reset(email: str):
    response = APIClient().post(RESET, {"email": email})
    assert response.status_code == 202, response.content
    return response


def link_mailed(mailoutbox) -> dict:
    """The uid and token of the link in the one reset message sent, after its notice ran."""
    send_notice(Notice.objects.get(kind=NoticeKind.PASSWORD_RESET).pk)
    [message] = mailoutbox
    [link] = re.findall(r"https?://\S+", message.body)
    query = parse_qs(urlsplit(link).query)
    return {"uid": query["uid"][0], "token": query["token"][0]}


def link_for(user) -> dict:
    """A reset link's uid and token for `user`, made as the notice makes them."""
    return {"uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)}


def confirm(link: dict, new_password: str = NEW_PASSWORD):
    return APIClient().post(CONFIRM, {**link, "new_password": new_password})


def test_a_reset_mails_a_link_to_the_frontend_that_sets_a_new_password(ada, mailoutbox, settings):
    settings.PASSWORD_RESET_URL = "https://app.example.com/reset?uid={uid}&token={token}"
    old_access = token_for(ada)
    ask_reset("ada@example.com")

    link = link_mailed(mailoutbox)

    [message] = mailoutbox
    assert message.to == ["Ada Lovelace <ada@example.com>"]
    assert message.subject == "Reset your LuxEstate password"
    assert "https://app.example.com/reset?uid=" in message.body
    assert 'href="https://app.example.com/reset?uid=' in message.alternatives[0][0]
    assert confirm(link).status_code == 204
    assert APIClient().post(LOGIN, {"username": "ada", "password": NEW_PASSWORD}).status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {old_access}")
    assert client.get(ME).status_code == 401


def test_a_reset_link_works_once(ada, mailoutbox):
    ask_reset("ada@example.com")
    link = link_mailed(mailoutbox)
    confirm(link)

    response = confirm(link, "Another-Password-1843")

    assert response.status_code == 400
    assert response.json()["code"] == "password_reset_link_invalid"
    assert APIClient().post(LOGIN, {"username": "ada", "password": NEW_PASSWORD}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_reset_link_sent_several_times_at_once_works_once(ada):
    link = link_for(ada)
    passwords = [f"Another-Password-184{n}" for n in range(4)]

    answers = run_at_once([lambda password=password: confirm(link, password) for password in passwords])

    assert sorted(answer.status_code for answer in answers) == [204, 400, 400, 400]
    [(set_by, _)] = [(password, a) for password, a in zip(passwords, answers, strict=True) if a.status_code == 204]
    ada.refresh_from_db()
    assert ada.check_password(set_by)
    assert ada.token_version == 1


def test_a_reset_link_is_good_for_password_reset_timeout_seconds_and_no_longer(ada, settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    generator = default_token_generator
    now = generator._num_seconds(generator._now())
    uid = link_for(ada)["uid"]

    stale = confirm({"uid": uid, "token": generator._make_token_with_timestamp(ada, now - 3601, generator.secret)})
    fresh = confirm({"uid": uid, "token": generator._make_token_with_timestamp(ada, now - 3590, generator.secret)})

    assert (stale.status_code, fresh.status_code) == (400, 204)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: {**link, "token": "1-abc"},
        lambda link: {**link, "uid": "bm9ib2R5"},
        lambda link: {**link, "uid": "!"},
    ],
    ids=["forged-token", "unknown-uid", "garbage-uid"],
)
def test_a_bad_reset_link_is_400(ada, tamper):
    response = confirm(tamper(link_for(ada)))

    assert response.status_code == 400
    assert response.json()["code"] == "password_reset_link_invalid"


def test_a_weak_new_password_is_400_and_the_link_stays_good(ada):
    link = link_for(ada)

    response = confirm(link, "12345678")

    assert response.status_code == 400
    assert list(response.json()) == ["new_password"]
    assert confirm(link).status_code == 204


def test_an_unknown_address_gets_the_same_answer_and_the_same_job_and_no_mail(ada, mailoutbox):
    known, unknown = ask_reset("ada@example.com"), ask_reset("nobody@example.com")

    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert list(Notice.objects.order_by("pk").values_list("kind", "email", "recipient")) == [
        (NoticeKind.PASSWORD_RESET, "ada@example.com", None),
        (NoticeKind.PASSWORD_RESET, "nobody@example.com", None),
    ]
    nobodys = Notice.objects.get(email="nobody@example.com")
    send_notice(nobodys.pk)
    nobodys.refresh_from_db()
    assert (nobodys.status, nobodys.outcome) == (Notice.Status.SUCCEEDED, "no such account")
    assert mailoutbox == []


def test_an_address_longer_than_a_notice_can_record_is_refused_as_bad_input():
    # Valid for Django's EmailValidator (up to 320 characters), 312 long.
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".com"

    response = APIClient().post(RESET, {"email": email})

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["email"]
    assert not Notice.objects.exists()


def test_the_request_does_the_same_work_whether_or_not_the_account_exists(
    ada, celery_app, django_capture_on_commit_callbacks
):
    def work_of(email: str) -> list[str]:
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            ask_reset(email)
        # Statements without their values: the address differs, the work must not.
        return [re.sub(r"'[^']*'|\d+", "?", query["sql"]) for query in queries]

    assert work_of("ada@example.com") == work_of("nobody@example.com")
    with celery_app.connection_for_write() as conn:
        assert conn.default_channel.client.llen("notices") == 2


def test_every_active_account_with_the_address_gets_its_own_link(mailoutbox):
    UserFactory(username="ada", email="ada@example.com")
    UserFactory(username="ada-work", email="ADA@example.com")
    UserFactory(username="ada-old", email="ada@example.com", is_active=False)
    ask_reset("ada@example.com")

    send_notice(Notice.objects.get().pk)

    assert sorted(message.body.split("your account ")[1].split(".")[0] for message in mailoutbox) == ["ada", "ada-work"]


def test_a_reset_is_throttled_like_a_login(ada, auth_rate_of_two):
    statuses = [APIClient().post(RESET, {"email": "ada@example.com"}).status_code for _ in range(3)]

    assert statuses == [202, 202, 429]
    assert Notice.objects.count() == 2


def test_a_confirm_is_throttled_like_a_login_so_tokens_cannot_be_guessed(ada, auth_rate_of_two):
    link = link_for(ada)

    statuses = [confirm({**link, "token": "1-abc"}).status_code for _ in range(2)] + [confirm(link).status_code]

    assert statuses == [400, 400, 429]
