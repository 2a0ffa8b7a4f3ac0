"""Freeing a property left unavailable by bad data: the service, and its admin action."""

import threading
import time
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from domain.bookings.models import Booking
from domain.bookings.release import release_stuck_property
from domain.bookings.services import create_booking
from domain.errors import DomainError
from domain.properties.models import Property
from tests.support.concurrency import held_elsewhere, sessions_waiting_on_a_lock
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory
from tests.support.waiting import wait_until

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


def property_form(prop, **changes) -> dict:
    """The property's change form as the admin page posts it, with `changes`."""
    return {
        "title": prop.title,
        "slug": prop.slug,
        "description": prop.description,
        "location": prop.location,
        "price": str(prop.price),
        "bedrooms": prop.bedrooms,
        "bathrooms": prop.bathrooms,
        "category": prop.category_id,
        "amenities": "[]",
        "status": prop.status,
        "is_available": "on",
        **changes,
    }


def test_the_property_form_leaves_availability_alone(admin_client):
    held = BookingFactory().property
    form = property_form(held)

    response = admin_client.post(reverse("admin:properties_property_change", args=[held.pk]), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not is_available(held)


@pytest.mark.django_db(transaction=True)
def test_a_booking_committed_while_the_property_form_is_saved_keeps_its_property_unavailable(admin_client):
    # The form reads the property (available) while a booking of it is being
    # made under its lock; the form's write waits for that lock, then must not
    # write back the availability it read before the booking committed.
    prop = PropertyFactory()
    staff = Client()
    staff.cookies = admin_client.cookies
    answers = []

    @contextmanager
    def booking_underway():
        with transaction.atomic():
            create_booking(user=UserFactory(), property_id=prop.pk)
            yield

    def edit_the_title():
        try:
            url = reverse("admin:properties_property_change", args=[prop.pk])
            answers.append(staff.post(url, property_form(prop, title="Renamed Villa")).status_code)
        finally:
            connection.close()

    editor = threading.Thread(target=edit_the_title)
    with held_elsewhere(booking_underway, "the booking's lock"):
        editor.start()
        wait_until(lambda: sessions_waiting_on_a_lock() > 0, 1.5, "the form's save to wait for the property's lock")
    editor.join(10)

    prop.refresh_from_db()
    assert answers == [302]
    assert prop.title == "Renamed Villa"
    assert Booking.objects.get(property=prop).status == Booking.Status.PENDING
    assert prop.is_available is False


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
