"""The booking rules, called directly: locks, constraint, cancel and expiry."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import cancel_booking, create_booking, expire_booking, expire_stale_bookings
from domain.errors import DomainError
from domain.properties.models import Property
from tests.support.concurrency import run_at_once
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory
from tests.support.recommendations import recommended_ids

pytestmark = pytest.mark.django_db


def test_create_booking_holds_the_property_at_its_price(settings):
    settings.BOOKING_PENDING_TTL = 900
    prop = PropertyFactory(price="2500000.50")
    before = timezone.now()

    booking = create_booking(user=UserFactory(), property_id=prop.pk)

    assert booking.status == Booking.Status.PENDING
    assert str(booking.total_amount) == "2500000.50"
    assert before + timedelta(seconds=899) < booking.expires_at < timezone.now() + timedelta(seconds=901)
    prop.refresh_from_db()
    assert prop.is_available is False


@pytest.mark.parametrize(
    "make_property, code",
    [
        (lambda: None, "property_not_found"),
        (lambda: PropertyFactory(status=Property.Status.INACTIVE), "property_inactive"),
        (lambda: PropertyFactory(is_available=False), "property_unavailable"),
        (lambda: BookingFactory().property, "property_unavailable"),
        # Held by a booking even though the flag says available: the booking counts.
        (lambda: BookingFactory(property=PropertyFactory(is_available=True)).property, "property_unavailable"),
    ],
)
def test_create_booking_refusals(make_property, code):
    prop = make_property()
    user = UserFactory()

    with pytest.raises(DomainError) as refused:
        create_booking(user=user, property_id=prop.pk if prop else 987654)

    assert refused.value.code == code
    assert not Booking.objects.filter(user=user).exists()


def test_the_database_refuses_a_second_holding_booking():
    booking = BookingFactory()
    with pytest.raises(IntegrityError):
        BookingFactory(property=booking.property, status=Booking.Status.PAID)


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_of_one_property_book_it_once():
    prop = PropertyFactory()
    users = [UserFactory() for _ in range(12)]

    outcomes = run_at_once([lambda u=u: create_booking(user=u, property_id=prop.pk) for u in users])

    booked = [o for o in outcomes if isinstance(o, Booking)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(booked) == 1, outcomes
    assert len(refused) == 11 and {e.code for e in refused} == {"property_unavailable"}
    assert Booking.objects.filter(property=prop).count() == 1


def test_cancel_frees_the_property():
    booking = BookingFactory()

    canceled = cancel_booking(user=booking.user, booking_id=booking.pk)

    assert canceled.status == Booking.Status.CANCELED
    assert Property.objects.get(pk=booking.property_id).is_available is True


def test_cancel_refuses_another_users_booking_and_a_paid_one():
    booking = BookingFactory()
    with pytest.raises(DomainError) as not_found:
        cancel_booking(user=UserFactory(), booking_id=booking.pk)
    assert not_found.value.code == "booking_not_found"

    booking.status = Booking.Status.PAID
    booking.save()
    with pytest.raises(DomainError) as not_cancelable:
        cancel_booking(user=booking.user, booking_id=booking.pk)
    assert not_cancelable.value.code == "booking_not_cancelable"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PAID
    assert Property.objects.get(pk=booking.property_id).is_available is False


def test_expiry_frees_the_property_for_a_new_booking(settings):
    settings.BOOKING_PENDING_TTL = 0
    prop = PropertyFactory()
    first = create_booking(user=UserFactory(), property_id=prop.pk)
    fresh = BookingFactory()  # not due: stays

    assert expire_stale_bookings() == 1

    first.refresh_from_db()
    fresh.refresh_from_db()
    assert first.status == Booking.Status.EXPIRED
    assert fresh.status == Booking.Status.PENDING
    assert create_booking(user=UserFactory(), property_id=prop.pk).status == Booking.Status.PENDING


def test_expiry_walks_every_batch():
    past = timezone.now() - timedelta(seconds=1)
    stale = [BookingFactory(expires_at=past) for _ in range(5)]

    assert expire_stale_bookings(batch_size=2) == 5

    assert set(Booking.objects.filter(pk__in=[b.pk for b in stale]).values_list("status", flat=True)) == {"EXPIRED"}
    assert not Property.objects.filter(pk__in=[b.property_id for b in stale], is_available=False).exists()


def test_expiry_rechecks_the_state_under_the_lock():
    booking = BookingFactory(expires_at=timezone.now() - timedelta(seconds=1), status=Booking.Status.PAID)

    assert expire_booking(booking.pk, timezone.now()) is False

    booking.refresh_from_db()
    assert booking.status == Booking.Status.PAID


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_expiry_racing_a_cancel_leaves_one_consistent_state(round_):
    booking = BookingFactory(expires_at=timezone.now() - timedelta(seconds=1))

    outcomes = run_at_once(
        [
            lambda: cancel_booking(user=booking.user, booking_id=booking.pk),
            lambda: expire_booking(booking.pk, timezone.now()),
        ]
    )

    booking.refresh_from_db()
    canceled = isinstance(outcomes[0], Booking)
    expired = outcomes[1] is True
    assert canceled != expired, outcomes  # exactly one of them won
    assert booking.status == (Booking.Status.CANCELED if canceled else Booking.Status.EXPIRED)
    if expired:
        assert outcomes[0].code == "booking_not_cancelable"
    assert Property.objects.get(pk=booking.property_id).is_available is True


def test_booking_cancel_and_expiry_evict_cached_recommendations(api_client, django_capture_on_commit_callbacks):
    prop = PropertyFactory()
    user = UserFactory()
    assert recommended_ids(api_client, prop.category_id) == [prop.pk]  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        booking = create_booking(user=user, property_id=prop.pk)
    assert recommended_ids(api_client, prop.category_id) == []

    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(user=user, booking_id=booking.pk)
    assert recommended_ids(api_client, prop.category_id) == [prop.pk]

    # Someone else: the user who canceled waits for BOOKING_REBOOK_COOLDOWN.
    with django_capture_on_commit_callbacks(execute=True):
        booking = create_booking(user=UserFactory(), property_id=prop.pk)
    assert recommended_ids(api_client, prop.category_id) == []
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_stale_bookings() == 1
    assert recommended_ids(api_client, prop.category_id) == [prop.pk]
