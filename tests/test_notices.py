"""Notices by email, read from Django's locmem backend: what each says, to whom, and that each is sent once."""

import threading
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from config.apps import connect_notice_dispatch
from config.celery import app
from domain.bookings.locks import lock_booking
from domain.bookings.services import create_booking
from domain.errors import DomainError
from domain.notices.expiry_warnings import warn_expiring_bookings
from domain.notices.models import Notice, NoticeKind
from domain.notices.sending import send_notice
from domain.notices.services import queue_notice
from domain.notices.signals import notice_recorded
from domain.payments.webhooks import apply_webhook_event
from domain.users.models import User
from tasks.maintenance import redispatch_jobs
from tests.support.concurrency import held_elsewhere, sessions_waiting_on_a_lock
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory
from tests.support.payments import booking_with_payment, expire, stored_event
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada():
    return UserFactory(username="ada", email="ada@example.com", first_name="Ada", last_name="Lovelace")


def sent(kind: NoticeKind, booking) -> Notice:
    """Send the booking's notice of `kind` as a worker does; returns it final."""
    notice = Notice.objects.get(kind=kind, booking=booking)
    assert send_notice(notice.pk) is not None
    notice.refresh_from_db()
    return notice


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_a_booking_is_confirmed_by_email_in_the_users_name_with_the_title_the_amount_and_the_hold(ada, mailoutbox):
    villa = PropertyFactory(title="Sea & Sky Villa", price=Decimal("1250000.00"))

    booking = create_booking(user=ada, property_id=villa.pk)
    notice = sent(NoticeKind.BOOKING_CONFIRMED, booking)

    [message] = mailoutbox
    assert message.to == ["Ada Lovelace <ada@example.com>"]
    assert message.subject == "Your booking of Sea & Sky Villa is confirmed"
    assert "Dear Ada Lovelace," in message.body
    # Plain text is not HTML-escaped; the HTML is.
    assert "Your booking of Sea & Sky Villa is confirmed: BDT 1250000.00." in message.body
    assert booking.expires_at.strftime("%-d %B %Y, %H:%M") in message.body
    assert "<strong>Sea &amp; Sky Villa</strong>" in html_of(message)
    assert "BDT 1250000.00" in html_of(message)
    assert (notice.status, notice.outcome) == (Notice.Status.SUCCEEDED, "sent to Ada Lovelace <ada@example.com>")


def test_a_user_without_a_full_name_is_addressed_by_username(mailoutbox):
    booking = create_booking(user=UserFactory(username="grace"), property_id=PropertyFactory().pk)

    sent(NoticeKind.BOOKING_CONFIRMED, booking)

    assert "Dear grace," in mailoutbox[0].body


def test_a_user_who_registered_a_name_with_a_line_break_is_still_mailed(mailoutbox):
    answer = APIClient().post(
        reverse("auth-register"),
        {
            "username": "ada",
            "email": "ada@example.com",
            "password": "Difference-Engine-1822",
            "first_name": "Ada\nAugusta",
            "last_name": "Lovelace",
        },
    )
    assert answer.status_code == 201, answer.content
    booking = create_booking(user=User.objects.get(username="ada"), property_id=PropertyFactory().pk)

    notice = sent(NoticeKind.BOOKING_CONFIRMED, booking)

    assert notice.status == Notice.Status.SUCCEEDED
    assert [message.to for message in mailoutbox] == [["Ada Augusta Lovelace <ada@example.com>"]]


def test_a_paid_booking_is_told_so(ada, mailoutbox):
    booking, payment = booking_with_payment("STRIPE", user=ada)

    apply_webhook_event(stored_event(payment, "SUCCESS").pk)
    sent(NoticeKind.BOOKING_PAID, booking)

    [message] = mailoutbox
    assert message.subject == f"Your booking of {booking.property.title} is paid"
    assert f"We received your payment of BDT {booking.total_amount}" in message.body


def test_a_failed_payment_is_told_so(ada, mailoutbox):
    booking, payment = booking_with_payment("BKASH", user=ada)

    apply_webhook_event(stored_event(payment, "FAILED").pk)
    sent(NoticeKind.PAYMENT_FAILED, booking)

    [message] = mailoutbox
    assert message.subject == f"Your payment for {booking.property.title} did not go through"
    assert "the booking is canceled" in message.body


def test_an_expired_hold_is_told_so(ada, mailoutbox):
    booking = BookingFactory(user=ada)

    expire(booking)
    sent(NoticeKind.BOOKING_EXPIRED, booking)

    assert mailoutbox[0].subject == f"Your hold on {booking.property.title} has ended"


def test_a_refund_names_the_sum_refunded(ada, mailoutbox):
    booking = BookingFactory(user=ada, total_amount=Decimal("900000.00"))

    queue_notice(kind=NoticeKind.REFUND_DONE, booking=booking, amount=Decimal("450000.00"))
    sent(NoticeKind.REFUND_DONE, booking)

    [message] = mailoutbox
    assert message.subject == f"Your refund for {booking.property.title} is done"
    assert "We refunded BDT 450000.00" in message.body


def test_a_hold_about_to_end_is_warned_once_and_no_other(ada, mailoutbox, settings):
    settings.BOOKING_EXPIRY_WARNING = 300
    now = timezone.now()
    ending = BookingFactory(user=ada, expires_at=now + timedelta(seconds=200))
    BookingFactory(user=ada, expires_at=now + timedelta(seconds=400))  # not yet
    BookingFactory(user=ada, expires_at=now + timedelta(seconds=100), status="PAID")  # nothing to warn of
    BookingFactory(user=ada, expires_at=now - timedelta(seconds=1))  # past due: the expiry's business

    assert warn_expiring_bookings() == 1
    assert warn_expiring_bookings() == 0

    assert list(Notice.objects.values_list("kind", "booking")) == [(NoticeKind.BOOKING_EXPIRING, ending.pk)]
    sent(NoticeKind.BOOKING_EXPIRING, ending)
    assert mailoutbox[0].subject == f"Your hold on {ending.property.title} ends soon"
    assert ending.expires_at.strftime("%H:%M") in mailoutbox[0].body


@contextmanager
def hold_extended(booking, seconds: int):
    """A payment starting: under the booking's locks its hold is extended, committed when the block ends."""
    with transaction.atomic():
        locked = lock_booking(booking.pk)
        locked.expires_at += timedelta(seconds=seconds)
        locked.save(update_fields=["expires_at"])
        yield


@pytest.mark.django_db(transaction=True)
def test_a_hold_extended_while_the_warning_waits_for_its_lock_is_not_warned_yet(ada, settings):
    settings.BOOKING_EXPIRY_WARNING = 300
    ending = BookingFactory(user=ada, expires_at=timezone.now() + timedelta(seconds=200))
    warned = []

    def warn():
        try:
            warned.append(warn_expiring_bookings())
        finally:
            connection.close()

    with held_elsewhere(lambda: hold_extended(ending, 600), "the booking's locks"):
        warner = threading.Thread(target=warn)
        warner.start()
        wait_until(lambda: sessions_waiting_on_a_lock() >= 1, 10, "the warning to wait on the booking's locks")
    warner.join(10)

    # It now ends in 800 s: warned later, BOOKING_EXPIRY_WARNING before its new end, not now.
    assert warned == [0]
    assert not Notice.objects.filter(kind=NoticeKind.BOOKING_EXPIRING).exists()


def messages_on_the_notices_queue() -> int:
    with app.connection_for_write() as conn:
        return conn.default_channel.client.llen("notices")


def test_a_notice_is_recorded_in_the_changes_transaction_and_queued_after_its_commit(
    ada, celery_app, django_capture_on_commit_callbacks
):
    villa = PropertyFactory()

    with django_capture_on_commit_callbacks(execute=True):
        create_booking(user=ada, property_id=villa.pk)
        with pytest.raises(DomainError):
            create_booking(user=UserFactory(), property_id=villa.pk)  # refused: it is held
        assert Notice.objects.count() == 1
        assert messages_on_the_notices_queue() == 0  # not before the commit

    # The refused booking rolled back and recorded nothing; the other is queued once.
    assert Notice.objects.count() == 1
    assert messages_on_the_notices_queue() == 1


def test_a_booking_is_told_each_thing_once(ada):
    booking = BookingFactory(user=ada)

    first = queue_notice(kind=NoticeKind.BOOKING_PAID, booking=booking)
    again = queue_notice(kind=NoticeKind.BOOKING_PAID, booking=booking)

    assert first is not None and again is None
    assert Notice.objects.filter(booking=booking).count() == 1


def test_a_notice_delivered_twice_is_sent_once(ada, mailoutbox):
    notice = queue_notice(kind=NoticeKind.BOOKING_PAID, booking=BookingFactory(user=ada))

    assert send_notice(notice.pk) is not None
    assert send_notice(notice.pk) is None

    assert len(mailoutbox) == 1


def test_a_user_without_an_address_is_sent_nothing(mailoutbox):
    notice = queue_notice(kind=NoticeKind.BOOKING_PAID, booking=BookingFactory(user=UserFactory(email="")))

    send_notice(notice.pk)

    notice.refresh_from_db()
    assert (notice.status, notice.outcome) == (Notice.Status.SUCCEEDED, "no address to send to")
    assert mailoutbox == []


@pytest.fixture
def nothing_dispatches_notices():
    """No receiver of notice_recorded, as in a process where config did not connect it."""
    notice_recorded.disconnect(dispatch_uid="dispatch_recorded_notice")
    yield
    connect_notice_dispatch()


def test_a_notice_nobody_dispatched_is_sent_by_the_job_sweep(
    ada, celery_app, nothing_dispatches_notices, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = queue_notice(kind=NoticeKind.BOOKING_PAID, booking=BookingFactory(user=ada))
    assert messages_on_the_notices_queue() == 0
    Notice.objects.filter(pk=notice.pk).update(redispatch_at=timezone.now())  # JOB_REDISPATCH_AFTER later

    redispatch_jobs()

    assert messages_on_the_notices_queue() == 1
