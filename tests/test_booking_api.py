"""The booking endpoints and the operation status URL, through HTTP."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from domain.bookings.models import Booking
from domain.operations.models import Operation
from domain.operations.services import execute_operation
from domain.properties.models import Property
from tests.support.clients import BOOKING_CREATE_URL, client_for, wait_for_operation
from tests.support.factories import BookingFactory, PropertyFactory, UserFactory
from tests.support.payments import start_payment_of

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_booking_happy_path_with_a_real_worker(celery_worker, auth_client, user):
    prop = PropertyFactory(price="990000.00")

    accepted = auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk})

    assert accepted.status_code == 202
    assert accepted["Location"] == accepted.json()["status_url"]
    assert accepted.json()["kind"] == "booking.create"
    done = wait_for_operation(auth_client, accepted["Location"])
    assert done["status"] == "SUCCEEDED", done
    assert done["error"] is None
    result = done["result"]
    assert result["property"] == prop.pk and result["property_slug"] == prop.slug
    assert (result["status"], result["total_amount"], result["user"]) == ("PENDING", "990000.00", user.pk)
    listed = auth_client.get("/api/bookings/").json()
    assert [b["id"] for b in listed["results"]] == [result["id"]]
    assert auth_client.get(f"/api/bookings/{result['id']}/").json() == result
    assert Property.objects.get(pk=prop.pk).is_available is False


@pytest.mark.django_db(transaction=True)
def test_cancel_through_a_real_worker(celery_worker):
    booking = BookingFactory()
    client = client_for(booking.user)

    accepted = client.post(f"/api/bookings/{booking.pk}/cancel/")
    assert accepted.status_code == 202
    done = wait_for_operation(client, accepted["Location"])
    assert (done["status"], done["result"]["status"]) == ("SUCCEEDED", "CANCELED")
    assert Property.objects.get(pk=booking.property_id).is_available is True

    again = wait_for_operation(client, client.post(f"/api/bookings/{booking.pk}/cancel/")["Location"])
    assert again["status"] == "FAILED"
    assert again["error"]["code"] == "booking_not_cancelable"


@pytest.mark.django_db(transaction=True)
def test_booking_an_inactive_property_fails_with_its_code(celery_worker, auth_client):
    prop = PropertyFactory(status=Property.Status.INACTIVE)

    done = wait_for_operation(auth_client, auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk})["Location"])

    assert done["status"] == "FAILED"
    assert done["error"]["code"] == "property_inactive"
    assert done["result"] is None
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "body, field_error",
    [
        ({}, "This field is required."),
        ({"property_id": "abc"}, "A valid integer is required."),
        ({"property_id": 99999999999999999999}, "Ensure this value is less than or equal to 9223372036854775807."),
        ({"property_id": -1}, "Ensure this value is greater than or equal to 1."),
        ({"property_id": 424242}, "Property does not exist."),
    ],
)
def test_create_rejects_bad_input_at_once(auth_client, body, field_error):
    response = auth_client.post(BOOKING_CREATE_URL, body)

    assert response.status_code == 400
    assert response.json() == {"property_id": [field_error]}
    assert not Operation.objects.exists()


def test_booking_endpoints_need_a_token(api_client):
    booking = BookingFactory()
    for method, url in [
        ("post", BOOKING_CREATE_URL),
        ("get", "/api/bookings/"),
        ("get", f"/api/bookings/{booking.pk}/"),
        ("post", f"/api/bookings/{booking.pk}/cancel/"),
    ]:
        assert getattr(api_client, method)(url).status_code == 401


def test_another_users_booking_and_operation_are_not_found(auth_client):
    booking = BookingFactory()
    owner = client_for(booking.user)
    operation_url = owner.post(f"/api/bookings/{booking.pk}/cancel/")["Location"]

    assert auth_client.get(f"/api/bookings/{booking.pk}/").status_code == 404
    assert auth_client.post(f"/api/bookings/{booking.pk}/cancel/").status_code == 404
    assert auth_client.get(operation_url).status_code == 404
    assert owner.get(operation_url).status_code == 200
    assert Operation.objects.count() == 1


def test_a_pending_operation_asks_to_retry_after_a_second(auth_client):
    prop = PropertyFactory()
    accepted = auth_client.post(BOOKING_CREATE_URL, {"property_id": prop.pk})

    polled = auth_client.get(accepted["Location"])

    assert polled.status_code == 200
    assert polled.json()["status"] == "PENDING"
    assert polled["Retry-After"] == "1"


def test_the_list_is_own_newest_first_and_paginated(auth_client, user):
    mine = [BookingFactory(user=user) for _ in range(3)]
    BookingFactory()

    page = auth_client.get("/api/bookings/?page_size=2").json()

    assert page["count"] == 3
    assert [b["id"] for b in page["results"]] == [mine[2].pk, mine[1].pk]
    assert page["next"] is not None
    assert auth_client.get("/api/bookings/?page=9").status_code == 404


@pytest.mark.parametrize("rows", [2, 12])
def test_the_list_runs_a_fixed_number_of_queries(auth_client, user, rows):
    for _ in range(rows):
        start_payment_of(BookingFactory(user=user))

    with CaptureQueriesContext(connection) as queries:
        response = auth_client.get("/api/bookings/")

    assert response.status_code == 200
    assert [b["payment"]["status"] for b in response.json()["results"]] == ["INITIATED"] * rows
    # user, count, page, the page's payments (JWT auth reads the user)
    assert len(queries) == 4


def test_polling_runs_a_fixed_number_of_queries():
    booking = BookingFactory()
    client = client_for(booking.user)
    url = client.post(f"/api/bookings/{booking.pk}/cancel/")["Location"]

    with CaptureQueriesContext(connection) as pending:
        client.get(url)
    execute_operation(Operation.objects.get().pk)
    with CaptureQueriesContext(connection) as final:
        client.get(url)

    assert len(pending) == 2  # user, operation
    assert len(final) == 4  # user, operation, the booking it produced, its payments


@pytest.mark.parametrize("history", [0, 6])
def test_a_booking_run_reads_the_bookings_once_for_its_rules_whatever_the_users_history(history):
    user = UserFactory()
    for _ in range(history):
        BookingFactory(user=user, status=Booking.Status.EXPIRED, end_reason=Booking.EndReason.EXPIRED)
    accepted = client_for(user).post(BOOKING_CREATE_URL, {"property_id": PropertyFactory().pk})

    with CaptureQueriesContext(connection) as queries:
        execute_operation(accepted.json()["id"])

    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert Operation.objects.get().status == Operation.Status.SUCCEEDED
    assert sum('FROM "bookings_booking"' in sql for sql in statements) == 1
    # run lock, claim, the operation locked, user, property, the rules, booking, availability,
    # notice, the operation final, unlock (the after-commit work waits for a commit this test never makes).
    assert len(statements) == 11, "\n".join(statements)


def test_a_booking_run_announces_its_outcome_before_its_other_after_commit_work(django_capture_on_commit_callbacks):
    accepted = client_for(UserFactory()).post(BOOKING_CREATE_URL, {"property_id": PropertyFactory().pk})

    with django_capture_on_commit_callbacks() as callbacks:
        execute_operation(accepted.json()["id"])

    announcements = [getattr(callback, "__func__", None) is Operation.announce_final for callback in callbacks]
    # First the long-polling client's wake-up, once; then the recommendation lists and the notice's dispatch.
    assert announcements[0] and sum(announcements) == 1 and len(callbacks) >= 3, callbacks
