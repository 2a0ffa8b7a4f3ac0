"""A user holds at most BOOKING_MAX_PENDING_PER_USER PENDING bookings, decided under the user's lock."""

import pytest

from domain.bookings.models import Booking
from domain.bookings.services import create_booking
from domain.errors import DomainError
from tests.support.concurrency import run_at_once
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_booking_past_the_cap_fails_and_leaves_the_property_free(settings):
    settings.BOOKING_MAX_PENDING_PER_USER = 2
    user = UserFactory()
    for prop in PropertyFactory.create_batch(2):
        create_booking(user=user, property_id=prop.pk)
    one_too_many = PropertyFactory()

    with pytest.raises(DomainError) as refused:
        create_booking(user=user, property_id=one_too_many.pk)

    assert refused.value.code == "too_many_pending_bookings"
    one_too_many.refresh_from_db()
    assert one_too_many.is_available is True
    assert not Booking.objects.filter(property=one_too_many).exists()
    # Another user is not held back by it.
    assert create_booking(user=UserFactory(), property_id=one_too_many.pk).status == Booking.Status.PENDING


@pytest.mark.parametrize("status", [Booking.Status.PAID, Booking.Status.CANCELED, Booking.Status.EXPIRED])
def test_only_pending_bookings_count_towards_the_cap(settings, status):
    settings.BOOKING_MAX_PENDING_PER_USER = 1
    user = UserFactory()
    BookingFactory(user=user, status=status)

    assert create_booking(user=user, property_id=PropertyFactory().pk).status == Booking.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_bookings_of_one_user_book_exactly_three():
    # The default cap, 3.
    user = UserFactory()
    properties = PropertyFactory.create_batch(10)

    outcomes = run_at_once([lambda p=p: create_booking(user=user, property_id=p.pk) for p in properties])

    booked = [o for o in outcomes if isinstance(o, Booking)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(booked) == 3, outcomes
    assert len(refused) == 7 and {e.code for e in refused} == {"too_many_pending_bookings"}, outcomes
    assert Booking.objects.filter(user=user, status=Booking.Status.PENDING).count() == 3
