"""A user who canceled a booking or let it expire waits BOOKING_REBOOK_COOLDOWN seconds to book that property
again; a booking a failed payment canceled starts no cooldown."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking, create_booking
from domain.errors import DomainError
from domain.payments.webhooks import apply_webhook_event
from tests.support.factories import PropertyFactory, UserFactory
from tests.support.payments import booking_with_payment, expire, stored_event

pytestmark = pytest.mark.django_db


def cancel(booking):
    cancel_booking(user=booking.user, booking_id=booking.pk)


ENDS = {
    "canceled": (cancel, Booking.EndReason.USER_CANCELED),
    "expired": (expire, Booking.EndReason.EXPIRED),
}


@pytest.fixture
def ended(request, settings):
    """A booking of a fresh property and user, ended as the test's parameter says, just now."""
    settings.BOOKING_REBOOK_COOLDOWN = 600
    end, reason = ENDS[request.param]
    booking = create_booking(user=UserFactory(), property_id=PropertyFactory().pk)
    end(booking)
    booking.refresh_from_db()
    assert booking.end_reason == reason
    return booking


@pytest.mark.parametrize("ended", ENDS, indirect=True)
def test_booking_the_property_again_during_the_cooldown_fails(ended):
    with pytest.raises(DomainError) as refused:
        create_booking(user=ended.user, property_id=ended.property_id)

    assert refused.value.code == "rebook_cooldown"
    bookable_again_at = (ended.ended_at + timedelta(seconds=600)).isoformat(timespec="seconds")
    assert bookable_again_at in refused.value.detail
    assert Booking.objects.filter(user=ended.user).count() == 1
    ended.property.refresh_from_db()
    assert ended.property.is_available is True


@pytest.mark.parametrize("ended", ENDS, indirect=True)
def test_the_cooldown_binds_only_that_user_and_that_property(ended):
    assert create_booking(user=ended.user, property_id=PropertyFactory().pk).status == Booking.Status.PENDING
    assert create_booking(user=UserFactory(), property_id=ended.property_id).status == Booking.Status.PENDING


@pytest.mark.parametrize("ended", ENDS, indirect=True)
def test_after_the_cooldown_the_user_books_the_property_again(ended):
    Booking.objects.filter(pk=ended.pk).update(ended_at=timezone.now() - timedelta(seconds=601))

    assert create_booking(user=ended.user, property_id=ended.property_id).status == Booking.Status.PENDING


def test_a_booking_canceled_by_a_failed_payment_may_be_booked_again_at_once(settings):
    settings.BOOKING_REBOOK_COOLDOWN = 600
    booking, payment = booking_with_payment("BKASH")
    apply_webhook_event(stored_event(payment, "FAILED").pk)
    booking.refresh_from_db()
    assert (booking.status, booking.end_reason) == (Booking.Status.CANCELED, Booking.EndReason.PAYMENT_FAILED)

    again = create_booking(user=booking.user, property_id=booking.property_id)

    assert again.status == Booking.Status.PENDING


def test_a_booking_a_late_payment_pays_after_it_expired_no_longer_counts_as_ended():
    booking, payment = booking_with_payment("STRIPE")
    expire(booking)

    apply_webhook_event(stored_event(payment, "SUCCESS").pk)

    booking.refresh_from_db()
    assert (booking.status, booking.end_reason, booking.ended_at) == (Booking.Status.PAID, "", None)


@pytest.mark.parametrize("ended", ["canceled"], indirect=True)
def test_the_cooldown_check_reads_its_index(ended):
    with CaptureQueriesContext(connection) as queries, pytest.raises(DomainError):
        create_booking(user=ended.user, property_id=ended.property_id)
    [cooldown_query] = [q["sql"] for q in queries if '"ended_at"' in q["sql"]]

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {cooldown_query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "rebook_cooldown" in plan, plan
