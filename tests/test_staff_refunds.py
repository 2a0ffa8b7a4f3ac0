"""Staff cancel a paid booking with a full refund from the admin, with a permission of its own."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from domain.bookings.models import Booking
from domain.payments.models import Payment, Refund
from domain.payments.refunds import run_refund
from domain.payments.webhooks import apply_webhook_event
from domain.properties.models import Property
from tests.support.payments import booking_with_payment, history_of, paid_at_provider, stored_event

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = reverse("admin:bookings_booking_changelist")


def paid_booking():
    booking, payment = booking_with_payment("BKASH")
    paid_at_provider(payment)
    apply_webhook_event(stored_event(payment, "SUCCESS").pk)
    return booking, payment


def cancel_with_refund(client, booking):
    return client.post(CHANGELIST, {"action": "cancel_with_refund", "_selected_action": [booking.pk]}, follow=True)


def test_staff_cancel_a_paid_booking_with_a_full_refund_and_the_history_names_them(admin_client, admin_user):
    booking, payment = paid_booking()

    response = cancel_with_refund(admin_client, booking)

    assert f"Booking {booking.pk} is canceled" in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.end_reason) == (Booking.Status.CANCELED, Booking.EndReason.STAFF_CANCELED)
    assert Property.objects.get(pk=booking.property_id).is_available is True
    refund = Refund.objects.get(payment=payment)
    assert refund.requested_by == admin_user.username
    run_refund(refund.pk)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Payment.Status.REFUNDED, payment.amount)
    assert ("REFUND_REQUESTED", "staff", admin_user.username) in history_of(payment)


def test_a_booking_that_is_not_paid_is_not_refunded(admin_client):
    booking, payment = booking_with_payment("STRIPE")

    response = cancel_with_refund(admin_client, booking)

    assert "Only a paid booking can be canceled with a refund" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PENDING
    assert not Refund.objects.exists()


def test_staff_who_may_only_view_bookings_have_no_refund_action(admin_client, admin_user):
    booking, payment = paid_booking()
    admin_user.is_superuser = False
    admin_user.save()
    admin_user.user_permissions.add(Permission.objects.get(codename="view_booking"))

    listed = admin_client.get(CHANGELIST)
    cancel_with_refund(admin_client, booking)

    assert listed.status_code == 200 and 'value="cancel_with_refund"' not in listed.content.decode()
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PAID
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.SUCCESS


def test_the_refund_permission_alone_gives_the_action(admin_client, admin_user):
    booking, _ = paid_booking()
    admin_user.is_superuser = False
    admin_user.save()
    admin_user.user_permissions.add(
        Permission.objects.get(codename="view_booking"), Permission.objects.get(codename="refund_payment")
    )

    cancel_with_refund(admin_client, booking)

    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CANCELED
