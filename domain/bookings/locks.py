from domain.properties.models import Property

from .models import Booking


def lock_booking(booking_id: int, **conditions) -> Booking | None:
    """Lock a booking and its property, or return None if no booking matches.

    Every path that locks both takes the property first, then the booking, so
    that two of them (a cancel and an expiry, say) never wait on each other in
    a circle. A booking never changes property, so reading its property_id
    before the locks is safe. `conditions` filter the booking again once it is
    locked (the state a sweep read earlier may have changed since).
    Call inside transaction.atomic().
    """
    property_id = Booking.objects.filter(pk=booking_id).values_list("property_id", flat=True).first()
    if property_id is None:
        return None
    locked_property = Property.objects.select_for_update().get(pk=property_id)
    booking = Booking.objects.select_for_update().filter(pk=booking_id, **conditions).first()
    if booking is not None:
        booking.property = locked_property
    return booking
