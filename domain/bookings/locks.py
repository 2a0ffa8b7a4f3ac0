"""The one lock order of the booking rules: the user, then the property, then the booking.

Every path that locks more than one of them (create, cancel, expiry, a
webhook, recording a payment) goes through these functions, so that two
paths never wait on each other in a circle. The user comes first because
the rules about a user's bookings as a whole (how many are PENDING) are
decided under the user's lock; the property's lock decides who holds it.
Staff deleting a user or a property decide under its lock too (deletion.py).
Call inside transaction.atomic().
"""

from domain.properties.models import Property
from domain.users.models import User

from .models import Booking


def lock_users(user_ids) -> None:
    """Lock the users, in id order, so that two callers locking several never wait on each other in a circle.

    FOR NO KEY UPDATE: it serializes the booking rules of one user like FOR
    UPDATE does, without blocking the inserts of rows that refer to the user
    (an operation, a booking), whose foreign key checks take FOR KEY SHARE on it.
    """
    list(
        User.objects.select_for_update(no_key=True).filter(pk__in=user_ids).order_by("pk").values_list("pk", flat=True)
    )


def lock_properties(property_ids) -> None:
    """Lock the properties (FOR UPDATE, as a booking does), in id order, for a caller that locks no user."""
    list(Property.objects.select_for_update().filter(pk__in=property_ids).order_by("pk").values_list("pk", flat=True))


def lock_user_and_property(*, user_id: int, property_id: int) -> Property | None:
    """Lock the user, then the property; returns the locked property, or None if there is none."""
    lock_users([user_id])
    # Not the search document, a second copy of the text no booking rule reads.
    return Property.objects.select_for_update().defer("search_document").filter(pk=property_id).first()


def lock_booking(booking_id: int, **conditions) -> Booking | None:
    """Lock a booking's user, its property and the booking, or return None if no booking matches.

    A booking never changes user nor property, so reading them before the
    locks is safe. `conditions` filter the booking again once it is locked
    (the state a sweep read earlier may have changed since).
    """
    keys = Booking.objects.filter(pk=booking_id).values_list("user_id", "property_id").first()
    if keys is None:
        return None
    user_id, property_id = keys
    locked_property = lock_user_and_property(user_id=user_id, property_id=property_id)
    booking = Booking.objects.select_for_update().filter(pk=booking_id, **conditions).first()
    if booking is not None:
        booking.property = locked_property
    return booking
