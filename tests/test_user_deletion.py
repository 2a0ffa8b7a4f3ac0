"""A user with bookings cannot be deleted, through the ORM nor the admin, and the admin says why."""

import html

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from domain.bookings.models import Booking
from domain.properties.models import Property
from domain.users.admin import WHY_A_USER_WITH_BOOKINGS_STAYS
from domain.users.models import User
from tests.support.factories import BookingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_deleting_a_user_with_a_pending_booking_is_refused_and_the_property_stays_held():
    booking = BookingFactory()

    with pytest.raises(ProtectedError):
        booking.user.delete()

    assert Booking.objects.filter(pk=booking.pk, status=Booking.Status.PENDING).exists()
    assert Property.objects.get(pk=booking.property_id).is_available is False


def test_the_admin_delete_page_says_why_a_user_with_bookings_stays(admin_client):
    booking = BookingFactory()
    url = reverse("admin:users_user_delete", args=[booking.user_id])

    page = admin_client.get(url)
    confirmed = admin_client.post(url, {"post": "yes"})

    content = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert WHY_A_USER_WITH_BOOKINGS_STAYS in content
    # The bookings are named as what protects the user, not as a permission the admin lacks.
    assert "would require deleting the following protected related objects" in content
    assert str(booking) in content
    assert "doesn't have permission" not in content
    assert confirmed.status_code == 200
    assert User.objects.filter(pk=booking.user_id).exists()


def test_the_admin_delete_action_says_why_and_deletes_none_of_the_selected(admin_client):
    booking = BookingFactory()
    without_bookings = UserFactory()
    action = {"action": "delete_selected", "_selected_action": [booking.user_id, without_bookings.pk]}

    page = admin_client.post(reverse("admin:users_user_changelist"), action)
    admin_client.post(reverse("admin:users_user_changelist"), {**action, "post": "yes"})

    content = html.unescape(page.content.decode())
    assert WHY_A_USER_WITH_BOOKINGS_STAYS in content
    assert "would require deleting the following protected related objects" in content
    assert User.objects.filter(pk__in=[booking.user_id, without_bookings.pk]).count() == 2
