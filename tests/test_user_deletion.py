"""A user with bookings cannot be deleted, through the ORM nor the admin, and the admin says why."""

import html
import threading

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.db import OperationalError, connection
from django.db.models import ProtectedError
from django.urls import reverse
from rest_framework_simplejwt.tokens import RefreshToken

from domain.bookings import deletion
from domain.bookings.models import Booking
from domain.bookings.services import create_booking
from domain.notices.services import request_password_reset
from domain.operations.kinds import BOOKING_CREATE, BookingCreateArguments
from domain.operations.models import Operation
from domain.operations.services import execute_operation, start_operation
from domain.properties.models import Property
from domain.users.admin import WHY_A_USER_WITH_BOOKINGS_STAYS, UserAdmin
from domain.users.models import User
from tests.support.concurrency import run_at_once, sessions_waiting_on_a_lock
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory
from tests.support.waiting import wait_until

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


def waiting_on_a_lock() -> bool:
    """Whether another session waits on a lock now, read afresh inside this connection's transaction
    (pg_stat_activity is otherwise read once per transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
    return sessions_waiting_on_a_lock() > 0


def booking_made_elsewhere_after_the_admins_check(monkeypatch, user: User) -> list:
    """Once the admin has looked for what protects `user` and found nothing, a booking of theirs
    commits on another connection before the admin deletes: a booking made while staff confirmed."""
    made = []
    check = UserAdmin.get_deleted_objects

    def check_then_book(model_admin, objs, request):
        checked = check(model_admin, objs, request)
        if request.POST.get("post") and not made:
            [booking] = run_at_once([lambda: create_booking(user=user, property_id=PropertyFactory().pk)])
            made.append(booking)
        return checked

    monkeypatch.setattr(UserAdmin, "get_deleted_objects", check_then_book)
    return made


@pytest.mark.django_db(transaction=True)
def test_a_booking_made_while_staff_confirm_the_delete_page_keeps_the_user_with_the_message(admin_client, monkeypatch):
    user = UserFactory()
    made = booking_made_elsewhere_after_the_admins_check(monkeypatch, user)
    admin_client.raise_request_exception = False
    url = reverse("admin:users_user_delete", args=[user.pk])

    confirmed = admin_client.post(url, {"post": "yes"}, follow=True)

    assert isinstance(made[0], Booking)
    assert confirmed.status_code == 200
    assert WHY_A_USER_WITH_BOOKINGS_STAYS in html.unescape(confirmed.content.decode())
    assert User.objects.filter(pk=user.pk).exists()
    assert Booking.objects.filter(pk=made[0].pk, user=user).exists()


@pytest.mark.django_db(transaction=True)
def test_a_booking_made_while_staff_confirm_the_delete_action_keeps_every_selected_user(admin_client, monkeypatch):
    user, without_bookings = UserFactory(), UserFactory()
    made = booking_made_elsewhere_after_the_admins_check(monkeypatch, user)
    admin_client.raise_request_exception = False
    action = {"action": "delete_selected", "_selected_action": [user.pk, without_bookings.pk], "post": "yes"}

    confirmed = admin_client.post(reverse("admin:users_user_changelist"), action, follow=True)

    assert isinstance(made[0], Booking)
    content = html.unescape(confirmed.content.decode())
    assert confirmed.status_code == 200
    assert WHY_A_USER_WITH_BOOKINGS_STAYS in content
    assert "Successfully deleted" not in content
    assert User.objects.filter(pk__in=[user.pk, without_bookings.pk]).count() == 2
    # Nothing was deleted, so the admin's history says nothing was.
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


@pytest.mark.django_db(transaction=True)
def test_a_booking_run_that_waits_on_the_deleted_users_lock_gives_way_to_the_delete(admin_client, monkeypatch):
    user = UserFactory()
    operation, _ = start_operation(
        owner=user, kind=BOOKING_CREATE, arguments=BookingCreateArguments(property_id=PropertyFactory().pk)
    )
    outcome = []

    def run_the_operation():
        try:
            outcome.append(execute_operation(operation.pk))
        except Exception as error:  # noqa: BLE001 - what the run got is looked at below
            outcome.append(error)
        finally:
            connection.close()

    run = threading.Thread(target=run_the_operation)
    locked = deletion.lock_users

    def lock_then_let_the_run_wait(user_ids):
        locked(user_ids)
        # The run locks its operation, then waits for the user's lock, which the delete holds.
        run.start()
        wait_until(waiting_on_a_lock, 10, "the run to wait on the user's lock")

    monkeypatch.setattr(deletion, "lock_users", lock_then_let_the_run_wait)
    admin_client.raise_request_exception = False

    confirmed = admin_client.post(reverse("admin:users_user_delete", args=[user.pk]), {"post": "yes"})
    run.join(30)

    assert confirmed.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Booking.objects.exists()
    # PostgreSQL broke the wait of the run (its operation went with the user): its task would try again and
    # find nothing to run.
    assert isinstance(outcome[0], OperationalError), outcome
