"""Starting a payment extends a PENDING booking's hold once, by PAYMENT_HOLD_EXTENSION seconds."""

from datetime import timedelta

import pytest
from django.utils import timezone

from domain.bookings.models import Booking
from domain.bookings.services import expire_stale_bookings
from tests.support.factories import BookingFactory
from tests.support.payments import start_payment_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _extension_of_ten_minutes(settings):
    settings.PAYMENT_HOLD_EXTENSION = 600


def test_starting_a_payment_extends_the_hold_once():
    booking = BookingFactory()
    held_until = booking.expires_at

    start_payment_of(booking, "STRIPE", attempt=1)
    booking.refresh_from_db()
    assert booking.expires_at == held_until + timedelta(seconds=600)

    start_payment_of(booking, "BKASH", attempt=2)
    booking.refresh_from_db()
    assert booking.expires_at == held_until + timedelta(seconds=600)


def test_the_sweep_spares_a_booking_whose_payment_started_at_the_last_second_but_only_once():
    # Past due, and the sweep has not come round yet.
    booking = BookingFactory(expires_at=timezone.now() - timedelta(seconds=1))

    start_payment_of(booking, attempt=1)

    assert expire_stale_bookings() == 0
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.PENDING

    # The extension has run out too; starting the payment again gives no more time.
    Booking.objects.filter(pk=booking.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    start_payment_of(booking, attempt=2)

    assert expire_stale_bookings() == 1
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.EXPIRED
