"""Freeing a property left unavailable by bad data: the service, and its admin action."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from domain.bookings.models import Booking
from domain.bookings.release import release_stuck_property
from domain.errors import DomainError
from domain.properties.models import Property
from tests.support.factories import BookingFactory, PropertyFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:properties_property_changelist")


def is_available(prop) -> bool:
    prop.refresh_from_db()
    return prop.is_available


def test_a_stuck_property_is_made_available():
    stuck = PropertyFactory(is_available=False)
    BookingFactory(property=stuck, status=Booking.Status.EXPIRED)

    assert release_stuck_property(property_id=stuck.pk) is True

    assert is_available(stuck)


@pytest.mark.parametrize("status", [Booking.Status.PENDING, Booking.Status.PAID])
def test_a_property_a_booking_holds_is_refused(status):
    booking = BookingFactory(status=status)

    with pytest.raises(DomainError) as refused:
        release_stuck_property(property_id=booking.property_id)

    assert refused.value.code == "property_held"
    assert refused.value.detail == f"Booking {booking.pk} ({status}) holds this property."
    assert not is_available(booking.property)


def test_an_available_property_is_left_alone():
    assert release_stuck_property(property_id=PropertyFactory().pk) is False


def test_an_unknown_property_is_refused():
    with pytest.raises(DomainError) as refused:
        release_stuck_property(property_id=987654)

    assert refused.value.code == "property_not_found"


@pytest.mark.django_db(transaction=True)
def test_a_booking_paid_while_the_release_waits_for_the_lock_is_seen():
    # A late payment re-takes an expired booking's property under the
    # property's lock (as the webhook does); the release asked meanwhile
    # waits for that lock, then sees the PAID booking.
    booking = BookingFactory(status=Booking.Status.EXPIRED)
    locked, outcome = threading.Event(), []

    def pay_under_the_lock():
        try:
            with transaction.atomic():
                Property.objects.select_for_update().get(pk=booking.property_id)
                Booking.objects.filter(pk=booking.pk).update(status=Booking.Status.PAID)
                locked.set()
                # Long enough for the release to be waiting on the lock.
                time.sleep(0.5)
        finally:
            connection.close()

    def release():
        try:
            outcome.append(release_stuck_property(property_id=booking.property_id))
        except DomainError as refused:
            outcome.append(refused.code)
        finally:
            connection.close()

    payer = threading.Thread(target=pay_under_the_lock)
    payer.start()
    assert locked.wait(10)
    releaser = threading.Thread(target=release)
    releaser.start()
    payer.join(10)
    releaser.join(10)

    assert outcome == ["property_held"]
    assert not is_available(booking.property)


def test_the_property_form_leaves_availability_alone(admin_client):
    held = BookingFactory().property
    form = {
        "title": held.title,
        "slug": held.slug,
        "description": held.description,
        "location": held.location,
        "price": str(held.price),
        "bedrooms": held.bedrooms,
        "bathrooms": held.bathrooms,
        "category": held.category_id,
        "amenities": "[]",
        "status": held.status,
        "is_available": "on",
    }

    response = admin_client.post(reverse("admin:properties_property_change", args=[held.pk]), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not is_available(held)


def test_the_admin_action_frees_stuck_properties_and_names_the_held_ones(admin_client):
    stuck = PropertyFactory(title="Stuck Villa", is_available=False)
    held = BookingFactory(property=PropertyFactory(title="Booked Villa", is_available=False)).property

    response = admin_client.post(
        CHANGELIST, {"action": "release_stuck", "_selected_action": [stuck.pk, held.pk]}, follow=True
    )

    notices = [str(message) for message in response.context["messages"]]
    held_by = Booking.objects.get(property=held)
    assert notices == [f"Booked Villa: Booking {held_by.pk} (PENDING) holds this property.", "1 made available."]
    assert is_available(stuck)
    assert not is_available(held)
