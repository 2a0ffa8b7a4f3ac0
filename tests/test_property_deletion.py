"""A property with bookings cannot be deleted in the admin, even when its booking is made while staff confirm."""

import html

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse

from domain.bookings.deletion import WHY_A_PROPERTY_WITH_BOOKINGS_STAYS
from domain.bookings.models import Booking
from domain.bookings.services import create_booking
from domain.properties.admin import PropertyAdmin
from domain.properties.models import Property
from tests.support.concurrency import run_at_once
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory


def booking_made_elsewhere_after_the_admins_check(monkeypatch, prop: Property) -> list:
    """Once the admin has looked for what protects `prop` and found nothing, a booking of it commits on
    another connection before the admin deletes: a booking made while staff confirmed."""
    made = []
    check = PropertyAdmin.get_deleted_objects

    def check_then_book(model_admin, objs, request):
        checked = check(model_admin, objs, request)
        if request.POST.get("post") and not made:
            made.extend(run_at_once([lambda: create_booking(user=UserFactory(), property_id=prop.pk)]))
        return checked

    monkeypatch.setattr(PropertyAdmin, "get_deleted_objects", check_then_book)
    return made


def assert_the_page_says_why_the_property_stays(page, booking: Booking) -> None:
    content = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert WHY_A_PROPERTY_WITH_BOOKINGS_STAYS in content
    # The booking is named as what protects the property, not as a permission the admin lacks.
    assert "would require deleting the following protected related objects" in content
    assert str(booking) in content
    assert "doesn't have permission" not in content


@pytest.mark.django_db
def test_the_admin_delete_page_says_why_a_property_with_bookings_stays(admin_client):
    booking = BookingFactory()
    url = reverse("admin:properties_property_delete", args=[booking.property_id])

    page = admin_client.get(url)
    confirmed = admin_client.post(url, {"post": "yes"})

    assert_the_page_says_why_the_property_stays(page, booking)
    assert_the_page_says_why_the_property_stays(confirmed, booking)
    assert Property.objects.filter(pk=booking.property_id).exists()


@pytest.mark.django_db(transaction=True)
def test_a_booking_made_while_staff_confirm_the_delete_page_keeps_the_property(admin_client, monkeypatch):
    prop = PropertyFactory()
    made = booking_made_elsewhere_after_the_admins_check(monkeypatch, prop)
    admin_client.raise_request_exception = False
    url = reverse("admin:properties_property_delete", args=[prop.pk])

    confirmed = admin_client.post(url, {"post": "yes"}, follow=True)

    assert isinstance(made[0], Booking)
    assert_the_page_says_why_the_property_stays(confirmed, made[0])
    assert Booking.objects.filter(pk=made[0].pk, property_id=prop.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_booking_made_while_staff_confirm_the_delete_action_keeps_every_selected_property(admin_client, monkeypatch):
    prop, unbooked = PropertyFactory(), PropertyFactory()
    made = booking_made_elsewhere_after_the_admins_check(monkeypatch, prop)
    admin_client.raise_request_exception = False
    action = {"action": "delete_selected", "_selected_action": [prop.pk, unbooked.pk], "post": "yes"}

    confirmed = admin_client.post(reverse("admin:properties_property_changelist"), action, follow=True)

    assert isinstance(made[0], Booking)
    content = html.unescape(confirmed.content.decode())
    assert confirmed.status_code == 200
    assert WHY_A_PROPERTY_WITH_BOOKINGS_STAYS in content
    assert "Successfully deleted" not in content
    assert Property.objects.filter(pk__in=[prop.pk, unbooked.pk]).count() == 2
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


@pytest.mark.django_db
def test_the_admin_deletes_a_property_without_bookings(admin_client):
    prop = PropertyFactory()

    confirmed = admin_client.post(reverse("admin:properties_property_delete", args=[prop.pk]), {"post": "yes"})

    assert confirmed.status_code == 302
    assert not Property.objects.filter(pk=prop.pk).exists()
