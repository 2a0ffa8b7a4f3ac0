"""A user with bookings cannot be deleted, through the ORM nor the admin, and the admin says why."""

import html

import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from rest_framework_simplejwt.tokens import RefreshToken

from domain.bookings.models import Booking
from domain.notices.services import request_password_reset
from domain.operations.kinds import BOOKING_CREATE, BookingCreateArguments
from domain.operations.models import Operation
from domain.operations.services import start_operation
from domain.properties.models import Property
from domain.users.admin import WHY_A_USER_WITH_BOOKINGS_STAYS
from domain.users.models import User
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory

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


def a_user_who_used_the_api_but_never_booked() -> User:
    """Logged in once, asked for a password reset, and tried a booking that never was made."""
    user = UserFactory()
    RefreshToken.for_user(user)
    request_password_reset(email=user.email)
    start_operation(owner=user, kind=BOOKING_CREATE, arguments=BookingCreateArguments(property_id=PropertyFactory().pk))
    return user


def test_the_admin_deletes_a_user_without_bookings_with_their_operations_notices_and_tokens(admin_client):
    user = a_user_who_used_the_api_but_never_booked()
    url = reverse("admin:users_user_delete", args=[user.pk])

    page = admin_client.get(url)
    confirmed = admin_client.post(url, {"post": "yes"})

    assert "doesn't have permission" not in html.unescape(page.content.decode())
    assert confirmed.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Operation.objects.filter(owner_id=user.pk).exists()


def test_the_admin_delete_action_deletes_the_selected_users_without_bookings(admin_client):
    user = a_user_who_used_the_api_but_never_booked()
    action = {"action": "delete_selected", "_selected_action": [user.pk]}

    admin_client.post(reverse("admin:users_user_changelist"), {**action, "post": "yes"})

    assert not User.objects.filter(pk=user.pk).exists()
