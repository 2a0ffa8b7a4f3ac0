"""Notices through a real SMTP server (aiosmtpd) the test starts: sent by real worker processes after
the commit, tried again when the server is down, and sent once even when a worker dies mid-send."""

import pytest

from domain.bookings.services import create_booking
from domain.notices.models import Notice, NoticeKind
from domain.notices.services import queue_notice, request_password_reset
from tasks.maintenance import redispatch_jobs
from tasks.notices import send_notice
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory
from tests.support.network import free_port
from tests.support.smtp import smtp_server
from tests.support.waiting import wait_until


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", email="ada@example.com", first_name="Ada", last_name="Lovelace")


def smtp_env(port: int) -> dict:
    return {"EMAIL_URL": f"smtp://127.0.0.1:{port}"}


def the_notice(kind: NoticeKind) -> Notice:
    return Notice.objects.get(kind=kind)


@pytest.mark.django_db
def test_a_notice_the_smtp_server_did_not_take_is_sent_on_a_later_attempt(ada, settings):
    port = free_port()  # nothing listens there yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    notice = queue_notice(kind=NoticeKind.BOOKING_PAID, booking=BookingFactory(user=ada))

    send_notice(str(notice.pk))

    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.finished_at) == (Notice.Status.PENDING, 1, None)
    with smtp_server(port) as mailbox:
        send_notice(str(notice.pk))
        notice.refresh_from_db()
        assert (notice.status, notice.attempts) == (Notice.Status.SUCCEEDED, 2)
        assert [message["To"] for message in mailbox.received()] == ["Ada Lovelace <ada@example.com>"]


@pytest.mark.django_db
def test_a_reset_tried_again_after_the_server_refused_the_second_accounts_link_does_not_mail_the_first_again(
    settings,
):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    UserFactory(username="ada", email="ada@example.com")
    UserFactory(username="ada-work", email="ada@example.com")
    reset = request_password_reset(email="ada@example.com")

    with smtp_server(port) as mailbox:
        mailbox.accepting = 1  # the first account's link goes through, the second's is refused
        send_notice(str(reset.pk))
        assert [message["To"] for message in mailbox.received()] == ["ada <ada@example.com>"]
        mailbox.accepting = None
        for notice in Notice.objects.order_by("pk"):  # each tried again, as the job sweep does
            send_notice(str(notice.pk))

        assert [message["To"] for message in mailbox.received()] == [
            "ada <ada@example.com>",
            "ada-work <ada@example.com>",
        ]
    assert set(Notice.objects.values_list("status", flat=True)) == {Notice.Status.SUCCEEDED}


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_mails_the_notice_of_a_committed_booking_in_text_and_html(ada, start_worker_process):
    port = free_port()
    with smtp_server(port) as mailbox:
        start_worker_process("mailer", extra_env=smtp_env(port))
        villa = PropertyFactory(title="Sea View Villa")

        create_booking(user=ada, property_id=villa.pk)

        [message] = wait_until(mailbox.received, 30, "the confirmation to be delivered")
        assert message["To"] == "Ada Lovelace <ada@example.com>"
        assert message["Subject"] == "Your booking of Sea View Villa is confirmed"
        assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
        assert "BDT 1250000.00" in message.get_body(("plain",)).get_content()
        wait_until(lambda: the_notice(NoticeKind.BOOKING_CONFIRMED).is_final, 10, "its record")
        assert the_notice(NoticeKind.BOOKING_CONFIRMED).status == Notice.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_commit_and_before_the_send_still_gets_the_notice_sent_once_later(
    ada, start_worker_process
):
    port = free_port()
    with smtp_server(port) as mailbox:
        # The server leaves the first message's DATA unanswered: the worker
        # is inside the send, which has not happened yet, when it is killed.
        mailbox.holding.set()
        doomed = start_worker_process("doomed", extra_env=smtp_env(port))

        create_booking(user=ada, property_id=PropertyFactory().pk)

        wait_until(mailbox.held.is_set, 30, "the worker to be sending")
        doomed.kill()
        mailbox.holding.clear()
        assert mailbox.received() == []
        assert the_notice(NoticeKind.BOOKING_CONFIRMED).status == Notice.Status.RUNNING
        start_worker_process("heir", extra_env=smtp_env(port))

        def sent_again() -> bool:
            redispatch_jobs()  # the beat sweep, which finds the dead run by its free run lock
            return the_notice(NoticeKind.BOOKING_CONFIRMED).is_final

        wait_until(sent_again, 30, "the dead worker's notice to be sent", interval=0.5)
        notice = the_notice(NoticeKind.BOOKING_CONFIRMED)
        assert (notice.status, notice.attempts) == (Notice.Status.SUCCEEDED, 2)
        redispatch_jobs()  # a further sweep finds nothing to send
        assert len(mailbox.received()) == 1
